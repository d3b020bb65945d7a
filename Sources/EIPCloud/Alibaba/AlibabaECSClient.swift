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
            .ecs, region: region, action: "DescribeNetworkInterfaces", parameters: request.parameters, as: DescribeNetworkInterfacesResponse.self
        )
    }

    /// The ENI whose primary private IP is `address`, or else the one holding it as a secondary
    /// IP (`PrimaryIpAddress`, then `PrivateIpAddress.1`); `nil` when there is none.
    public func networkInterface(holding address: String, region: String) async throws -> AlibabaNetworkInterface? {
        let primary = try await describeNetworkInterfaces(DescribeNetworkInterfacesRequest(primaryIPAddress: address), region: region)
        if let eni = primary.networkInterfaces.first(where: { $0.holds(address) }) ?? primary.networkInterfaces.first {
            return eni
        }
        let secondary = try await describeNetworkInterfaces(DescribeNetworkInterfacesRequest(privateIPAddresses: [address]), region: region)
        return secondary.networkInterfaces.first(where: { $0.holds(address) }) ?? secondary.networkInterfaces.first
    }
}
