public import EIPCore

/// One cloud account the broker allocates EIPs in: Alibaba Cloud, AWS, or the simulated cloud.
///
/// Every method is safe to retry: `allocate` is idempotent on its client token, and the others
/// treat "already in the wanted state" as success. Methods that start an asynchronous change
/// (associate, unassociate) return only once the EIP has settled, or throw.
public protocol CloudProvider: Sendable {
    /// The account's name in the broker's configuration (`sim`, `aliyun-prod`, ...).
    var account: String { get }

    /// Allocates a new EIP with `request.parameters`, tagged with `request.tags`. Retrying with
    /// the same `clientToken` returns the EIP the first call made, never a second one.
    func allocate(_ request: CloudAllocationRequest) async throws -> CloudEIP

    /// The EIP with this allocation id, or `nil` when the cloud has no such EIP.
    func describe(allocationID: String, region: String) async throws -> CloudEIP?

    /// Every EIP in `region` carrying the tag `key=value` (all pages).
    func describeTagged(key: String, value: String, region: String) async throws -> [CloudEIP]

    /// The ENI in one of `vpcIDs` that has `privateIPAddress` as its primary or a secondary
    /// private IP; or, when `networkInterfaceID` is given, that ENI after checking that it is in
    /// one of `vpcIDs` and holds the address. ENIs are never looked up outside `vpcIDs`: two
    /// clusters whose pods share a private IP in different VPCs each find their own ENI.
    ///
    /// The simulated cloud reads an empty `vpcIDs` as its default VPC; a real cloud refuses it.
    /// - Throws: `CloudError` `.notFound` when no ENI of those VPCs matches (the code says whether
    ///   the address or the given ENI was not found), `.rejected` for an empty `vpcIDs` on a real cloud.
    func networkInterface(privateIPAddress: String, networkInterfaceID: String?, region: String, vpcIDs: [String]) async throws -> String

    /// Binds the EIP to the ENI's private IP and waits until it is `InUse`. When `force` is set,
    /// an EIP bound elsewhere is unbound first (Terway's `allow_eip_rob`).
    func associate(allocationID: String, networkInterfaceID: String, privateIPAddress: String, region: String, force: Bool) async throws

    /// Unbinds the EIP and waits until it is `Available`. Succeeds when it is not bound.
    func unassociate(allocationID: String, region: String) async throws

    /// Releases an unbound EIP. Succeeds when the EIP is already gone.
    func release(allocationID: String, region: String) async throws

    /// Adds the EIP to a shared bandwidth package. Succeeds when it is already in it.
    func joinBandwidthPackage(allocationID: String, bandwidthPackageID: String, region: String) async throws

    /// The shared bandwidth package `id` of `region` with the EIPs in it, or `nil` when the
    /// account has no such package there.
    func describeBandwidthPackage(id: String, region: String) async throws -> CloudBandwidthPackage?

    /// Removes the EIP from a shared bandwidth package. Succeeds when it is not in it, or is gone.
    func leaveBandwidthPackage(allocationID: String, bandwidthPackageID: String, region: String) async throws

    /// Sets `tags` on the EIP, replacing the values of keys it already has and keeping the others.
    func tag(allocationID: String, with tags: [String: String], region: String) async throws
}

/// What to allocate, and the idempotency token and tags to allocate it with.
public struct CloudAllocationRequest: Sendable, Hashable {
    public var region: String
    public var parameters: EIPParameters
    /// Reused on every retry of the same allocation.
    public var clientToken: String
    public var tags: [String: String]

    public init(region: String, parameters: EIPParameters, clientToken: String, tags: [String: String]) {
        self.region = region
        self.parameters = parameters
        self.clientToken = clientToken
        self.tags = tags
    }
}

/// An EIP as the cloud describes it.
public struct CloudEIP: Sendable, Hashable {
    /// `Available`, `Associating`, `InUse`, `Unassociating`, `Releasing`.
    public enum Status: String, Sendable, Hashable {
        case available = "Available"
        case associating = "Associating"
        case inUse = "InUse"
        case unassociating = "Unassociating"
        case releasing = "Releasing"
    }

    public var allocationID: String
    public var ipAddress: String
    public var region: String
    public var status: Status
    public var parameters: EIPParameters
    /// The ENI it is bound to.
    public var instanceID: String?
    public var privateIPAddress: String?
    public var bandwidthPackageID: String?
    public var tags: [String: String]

    public init(
        allocationID: String, ipAddress: String, region: String, status: Status, parameters: EIPParameters,
        instanceID: String? = nil, privateIPAddress: String? = nil, bandwidthPackageID: String? = nil, tags: [String: String] = [:]
    ) {
        self.allocationID = allocationID
        self.ipAddress = ipAddress
        self.region = region
        self.status = status
        self.parameters = parameters
        self.instanceID = instanceID
        self.privateIPAddress = privateIPAddress
        self.bandwidthPackageID = bandwidthPackageID
        self.tags = tags
    }
}

/// A failed cloud call, classified so the reconciler knows whether to retry.
public struct CloudError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The cloud refused for rate (`Throttling.User`): retry later.
        public static let throttled = Kind("Throttled")
        /// 5xx, timeouts, lost responses: retry.
        public static let unavailable = Kind("Unavailable")
        /// The resource is mid-change (`IncorrectEipStatus`, `TaskConflict`): retry shortly.
        public static let busy = Kind("Busy")
        /// No such EIP or ENI: final.
        public static let notFound = Kind("NotFound")
        /// The EIP is bound to another instance: final unless robbing.
        public static let inUseElsewhere = Kind("InUseElsewhere")
        /// The account's EIP quota is used up: final.
        public static let quotaExceeded = Kind("QuotaExceeded")
        /// Parameters refused, permissions missing, signature errors: final.
        public static let rejected = Kind("Rejected")
    }

    public var kind: Kind
    /// The cloud's own error code (`Throttling.User`, `InvalidAllocationId.NotFound`, ...).
    public var code: String
    public var message: String
    public var requestID: String?
    /// The cloud's hint of when to retry, in milliseconds.
    public var retryAfterMilliseconds: Int64?

    public init(_ kind: Kind, code: String, message: String, requestID: String? = nil, retryAfterMilliseconds: Int64? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.requestID = requestID
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    /// Whether the same call may succeed later.
    public var isRetryable: Bool { kind == .throttled || kind == .unavailable || kind == .busy }

    public var description: String {
        "\(code): \(message)" + (requestID.map { " (RequestId \($0))" } ?? "")
    }
}
