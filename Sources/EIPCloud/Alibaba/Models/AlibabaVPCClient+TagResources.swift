extension AlibabaVPCClient {
    /// `TagResources`: adds (or overwrites) tags on resources of one type.
    public struct TagResourcesRequest: Sendable, Hashable {
        /// Alibaba's limits per call.
        public static let maximumResources = 50
        public static let maximumTags = 20

        /// `EIP` for addresses.
        public var resourceType: String
        public var resourceIDs: [String]
        /// Keys may not start with `aliyun` or `acs:`.
        public var tags: [String: String]

        public init(resourceType: String = "EIP", resourceIDs: [String], tags: [String: String]) {
            self.resourceType = resourceType
            self.resourceIDs = resourceIDs
            self.tags = tags
        }

        public var parameters: AlibabaRPCParameters {
            var parameters: AlibabaRPCParameters = ["ResourceType": resourceType]
            parameters.setList("ResourceId", resourceIDs)
            parameters.setTags(tags)
            return parameters
        }
    }
}
