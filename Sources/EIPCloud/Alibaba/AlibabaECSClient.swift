/// Alibaba's ECS API, as far as the broker needs it: finding the ENI that holds a pod's IP.
public struct AlibabaECSClient: Sendable {
    public let api: AlibabaAccountAPI

    public init(api: AlibabaAccountAPI) {
        self.api = api
    }

    /// One page of `DescribeNetworkInterfaces`.
    public func describeNetworkInterfaces(
        _ request: DescribeNetworkInterfacesRequest, region: String
    ) async throws -> DescribeNetworkInterfacesResponse {
        try await api.call(
            .ecs, region: region, action: "DescribeNetworkInterfaces", parameters: request.parameters,
            as: DescribeNetworkInterfacesResponse.self
        )
    }

    /// The ENI of `vpcID` whose primary private IP is `address`, or else the one of `vpcID`
    /// holding it as a secondary IP (`PrimaryIpAddress`, then `PrivateIpAddress.1`, each with
    /// `VpcId`); `nil` when there is none.
    public func networkInterface(holding address: String, vpcID: String, region: String) async throws -> AlibabaNetworkInterface? {
        for request in [
            DescribeNetworkInterfacesRequest(primaryIPAddress: address, vpcID: vpcID),
            DescribeNetworkInterfacesRequest(privateIPAddresses: [address], vpcID: vpcID),
        ] {
            let page = try await describeNetworkInterfaces(request, region: region)
            if let eni = page.networkInterfaces.first(where: { $0.holds(address) && ($0.vpcID == nil || $0.vpcID == vpcID) }) {
                return eni
            }
        }
        return nil
    }

    /// The ENI with this id (`NetworkInterfaceId.1`), or `nil`.
    public func networkInterface(id: String, region: String) async throws -> AlibabaNetworkInterface? {
        try await describeNetworkInterfaces(DescribeNetworkInterfacesRequest(networkInterfaceIDs: [id]), region: region)
            .networkInterfaces.first { $0.networkInterfaceID == id }
    }
}
