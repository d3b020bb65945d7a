extension AlibabaCloudProvider {
    /// One Alibaba Cloud account as the broker's configuration declares it.
    ///
    /// ```swift
    /// let configuration = AlibabaCloudProvider.Configuration(
    ///     account: "aliyun-prod", defaultRegion: "cn-hangzhou", credentials: .ecsRAMRole())
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// The account's name in the broker (`aliyun-prod`).
        public var account: String
        /// The region used when a request names none.
        public var defaultRegion: String
        public var credentials: AlibabaCredentialSource
        /// Where VPC and ECS answer; Alibaba's public endpoints by default.
        public var endpoints: AlibabaEndpoints
        /// Signature version, parameter placement, timeout of one call.
        public var rpc: AlibabaRPCClient.Configuration
        public var rateLimits: AlibabaRateLimits
        public var retryPolicy: AlibabaRetryPolicy
        public var credentialRefresh: AlibabaCredentialRefreshPolicy
        /// How long and how often associate, unassociate and bandwidth package changes are
        /// polled until they settle.
        public var settle: SettlePolicy
        /// The most EIPs one shared bandwidth package of the account may hold: its quota in
        /// Quota Center (Alibaba's default, 100), which no API call reports per package.
        public var bandwidthPackageIPLimit: Int

        public init(
            account: String, defaultRegion: String = "cn-hangzhou", credentials: AlibabaCredentialSource,
            endpoints: AlibabaEndpoints = AlibabaEndpoints(), rpc: AlibabaRPCClient.Configuration = .init(),
            rateLimits: AlibabaRateLimits = AlibabaRateLimits(), retryPolicy: AlibabaRetryPolicy = AlibabaRetryPolicy(),
            credentialRefresh: AlibabaCredentialRefreshPolicy = .init(), settle: SettlePolicy = .init(), bandwidthPackageIPLimit: Int = 100
        ) {
            self.bandwidthPackageIPLimit = bandwidthPackageIPLimit
            self.account = account
            self.defaultRegion = defaultRegion
            self.credentials = credentials
            self.endpoints = endpoints
            self.rpc = rpc
            self.rateLimits = rateLimits
            self.retryPolicy = retryPolicy
            self.credentialRefresh = credentialRefresh
            self.settle = settle
        }
    }
}
