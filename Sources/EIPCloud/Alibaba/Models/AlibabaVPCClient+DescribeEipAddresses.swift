extension AlibabaVPCClient {
    /// `DescribeEipAddresses`: filters and one page.
    public struct DescribeEipAddressesRequest: Sendable, Hashable {
        /// At most 50.
        public var allocationIDs: [String]
        /// At most 50.
        public var eipAddresses: [String]
        public var status: String?
        public var associatedInstanceID: String?
        public var associatedInstanceType: String?
        public var bandwidthPackageID: String?
        public var publicIpAddressPoolID: String?
        public var resourceGroupID: String?
        /// Only EIPs carrying every one of these tags.
        public var tags: [String: String]
        /// From 1.
        public var pageNumber: Int?
        /// At most 100.
        public var pageSize: Int?

        public init(
            allocationIDs: [String] = [], eipAddresses: [String] = [], status: String? = nil, associatedInstanceID: String? = nil,
            associatedInstanceType: String? = nil, bandwidthPackageID: String? = nil, publicIpAddressPoolID: String? = nil,
            resourceGroupID: String? = nil, tags: [String: String] = [:], pageNumber: Int? = nil, pageSize: Int? = nil
        ) {
            self.allocationIDs = allocationIDs
            self.eipAddresses = eipAddresses
            self.status = status
            self.associatedInstanceID = associatedInstanceID
            self.associatedInstanceType = associatedInstanceType
            self.bandwidthPackageID = bandwidthPackageID
            self.publicIpAddressPoolID = publicIpAddressPoolID
            self.resourceGroupID = resourceGroupID
            self.tags = tags
            self.pageNumber = pageNumber
            self.pageSize = pageSize
        }

        public var parameters: AlibabaRPCParameters {
            var parameters = AlibabaRPCParameters()
            if !allocationIDs.isEmpty { parameters.set("AllocationId", allocationIDs.joined(separator: ",")) }
            if !eipAddresses.isEmpty { parameters.set("EipAddress", eipAddresses.joined(separator: ",")) }
            parameters.set("Status", status)
            parameters.set("AssociatedInstanceId", associatedInstanceID)
            parameters.set("AssociatedInstanceType", associatedInstanceType)
            parameters.set("BandwidthPackageId", bandwidthPackageID)
            parameters.set("PublicIpAddressPoolId", publicIpAddressPoolID)
            parameters.set("ResourceGroupId", resourceGroupID)
            parameters.setTags(tags)
            parameters.set("PageNumber", pageNumber)
            parameters.set("PageSize", pageSize)
            return parameters
        }
    }

    /// One page of EIPs.
    public struct DescribeEipAddressesResponse: Decodable, Sendable, Hashable {
        public var totalCount: Int
        public var pageNumber: Int
        public var pageSize: Int
        public var eipAddresses: [AlibabaEIPAddress]
        public var requestID: String?

        public init(totalCount: Int, pageNumber: Int, pageSize: Int, eipAddresses: [AlibabaEIPAddress], requestID: String? = nil) {
            self.totalCount = totalCount
            self.pageNumber = pageNumber
            self.pageSize = pageSize
            self.eipAddresses = eipAddresses
            self.requestID = requestID
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
            eipAddresses = try container.wrappedList("EipAddresses", "EipAddress", of: AlibabaEIPAddress.self)
            totalCount = container.lenientInt(AlibabaCodingKey("TotalCount")) ?? eipAddresses.count
            pageNumber = container.lenientInt(AlibabaCodingKey("PageNumber")) ?? 1
            pageSize = container.lenientInt(AlibabaCodingKey("PageSize")) ?? eipAddresses.count
            requestID = container.lenientString(AlibabaCodingKey("RequestId"))
        }
    }
}
