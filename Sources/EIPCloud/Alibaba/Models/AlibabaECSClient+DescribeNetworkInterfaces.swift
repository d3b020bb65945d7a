extension AlibabaECSClient {
    /// `DescribeNetworkInterfaces`: ENIs by id, VPC, primary or secondary private IP.
    public struct DescribeNetworkInterfacesRequest: Sendable, Hashable {
        /// Matches an ENI's primary private IP.
        public var primaryIPAddress: String?
        /// Matches ENIs' private IPs (`PrivateIpAddress.N`: the secondary ones).
        public var privateIPAddresses: [String]
        public var networkInterfaceIDs: [String]
        public var vpcID: String?
        public var instanceID: String?
        /// Page size (at most 500 on Alibaba).
        public var maxResults: Int?
        /// The page to read, from the previous answer.
        public var nextToken: String?

        public init(
            primaryIPAddress: String? = nil, privateIPAddresses: [String] = [], networkInterfaceIDs: [String] = [], vpcID: String? = nil,
            instanceID: String? = nil, maxResults: Int? = nil, nextToken: String? = nil
        ) {
            self.primaryIPAddress = primaryIPAddress
            self.privateIPAddresses = privateIPAddresses
            self.networkInterfaceIDs = networkInterfaceIDs
            self.vpcID = vpcID
            self.instanceID = instanceID
            self.maxResults = maxResults
            self.nextToken = nextToken
        }

        public var parameters: AlibabaRPCParameters {
            var parameters = AlibabaRPCParameters()
            parameters.set("PrimaryIpAddress", primaryIPAddress)
            parameters.setList("PrivateIpAddress", privateIPAddresses)
            parameters.setList("NetworkInterfaceId", networkInterfaceIDs)
            parameters.set("VpcId", vpcID)
            parameters.set("InstanceId", instanceID)
            parameters.set("MaxResults", maxResults)
            parameters.set("NextToken", nextToken)
            return parameters
        }
    }

    /// One page of ENIs.
    public struct DescribeNetworkInterfacesResponse: Decodable, Sendable, Hashable {
        public var networkInterfaces: [AlibabaNetworkInterface]
        /// The next page's token; `nil` on the last page.
        public var nextToken: String?
        public var totalCount: Int?
        public var requestID: String?

        public init(
            networkInterfaces: [AlibabaNetworkInterface], nextToken: String? = nil, totalCount: Int? = nil, requestID: String? = nil
        ) {
            self.networkInterfaces = networkInterfaces
            self.nextToken = nextToken
            self.totalCount = totalCount
            self.requestID = requestID
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
            networkInterfaces = try container.wrappedList("NetworkInterfaceSets", "NetworkInterfaceSet", of: AlibabaNetworkInterface.self)
            nextToken = container.lenientString(AlibabaCodingKey("NextToken"))
            totalCount = container.lenientInt(AlibabaCodingKey("TotalCount"))
            requestID = container.lenientString(AlibabaCodingKey("RequestId"))
        }
    }
}
