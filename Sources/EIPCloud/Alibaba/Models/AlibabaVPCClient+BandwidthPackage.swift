extension AlibabaVPCClient {
    /// `AddCommonBandwidthPackageIp` and `RemoveCommonBandwidthPackageIp`: an EIP joins or
    /// leaves a shared bandwidth package (CBWP).
    public struct BandwidthPackageIPRequest: Sendable, Hashable {
        public var bandwidthPackageID: String
        /// The EIP's allocation id.
        public var ipInstanceID: String
        /// `EIP` (Alibaba's default) or `BYOIP`; `AddCommonBandwidthPackageIp` only.
        public var ipType: String?
        /// Reused on every retry of the same change.
        public var clientToken: String?

        public init(bandwidthPackageID: String, ipInstanceID: String, ipType: String? = nil, clientToken: String? = nil) {
            self.bandwidthPackageID = bandwidthPackageID
            self.ipInstanceID = ipInstanceID
            self.ipType = ipType
            self.clientToken = clientToken
        }

        public var parameters: AlibabaRPCParameters {
            var parameters: AlibabaRPCParameters = ["BandwidthPackageId": bandwidthPackageID, "IpInstanceId": ipInstanceID]
            parameters.set("IpType", ipType)
            parameters.set("ClientToken", clientToken)
            return parameters
        }
    }

    /// The packages of one page of `DescribeCommonBandwidthPackages`.
    public struct DescribeCommonBandwidthPackagesResponse: Decodable, Sendable, Hashable {
        public var packages: [AlibabaBandwidthPackage]
        public var totalCount: Int
        public var requestID: String?

        public init(packages: [AlibabaBandwidthPackage], totalCount: Int? = nil, requestID: String? = nil) {
            self.packages = packages
            self.totalCount = totalCount ?? packages.count
            self.requestID = requestID
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
            packages = try container.wrappedList("CommonBandwidthPackages", "CommonBandwidthPackage", of: AlibabaBandwidthPackage.self)
            totalCount = container.lenientInt(AlibabaCodingKey("TotalCount")) ?? packages.count
            requestID = container.lenientString(AlibabaCodingKey("RequestId"))
        }
    }
}
