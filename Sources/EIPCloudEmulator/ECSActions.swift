import EIPCloud
import EIPCloudSimulated
import EIPCore
import HTTPTypes

/// ECS `2014-05-26` `DescribeNetworkInterfaces`, over the simulated cloud's ENIs: every private
/// IP of a VPC has an ENI of its own in that VPC and is that ENI's primary IP.
///
/// Filters: `PrimaryIpAddress`, `PrivateIpAddress.N` (on Alibaba these are the secondary IPs;
/// since the simulated ENIs have none, the emulator matches them against the one, primary IP),
/// `NetworkInterfaceId.N`, `VpcId`; several filters must all match. Paging: `MaxResults` (1-500,
/// default 10) with `NextToken`, or `PageNumber` / `PageSize` (1-1000, default 10).
struct ECSActions: Sendable {
    let cloud: SimulatedCloud
    let region: String

    func handle(_ call: RPCCall) async throws -> JSONValue {
        let region = try call.region(served: region)
        let parameters = call.parameters
        let primary = parameters.string("PrimaryIpAddress")
        let privateIPs = try parameters.list("PrivateIpAddress", limit: 100)
        let ids = try parameters.list("NetworkInterfaceId", limit: 100)
        for address in privateIPs + (primary.map { [$0] } ?? []) where !Validation.isIPv4(address) {
            throw EmulatorAPIError.invalidParameter("PrivateIpAddress", "'\(address)' is not an IPv4 address.")
        }
        var lookups = privateIPs
        if let primary { lookups.append(primary) }
        var interfaces = try await cloud.networkInterfaces(
            privateIPAddresses: lookups, networkInterfaceIDs: ids, vpcID: parameters.string("VpcId"), region: region)
        if let primary { interfaces = interfaces.filter { $0.privateIPAddress == primary } }
        if !privateIPs.isEmpty { interfaces = interfaces.filter { privateIPs.contains($0.privateIPAddress) } }

        let maxResults = try parameters.int("MaxResults", in: 1...500)
        let pageSize = try maxResults ?? parameters.int("PageSize", in: 1...1000) ?? 10
        let start: Int
        if let token = parameters.string("NextToken") {
            guard let offset = Int(token), offset >= 0 else {
                throw EmulatorAPIError.invalidParameter("NextToken", "'\(token)' is not a token this API returned.")
            }
            start = offset
        } else {
            let pageNumber = try parameters.int("PageNumber", in: 1...Int(Int32.max)) ?? 1
            start = (pageNumber - 1) * pageSize
        }
        let page = Array(interfaces.dropFirst(start).prefix(pageSize))
        let next = start + page.count < interfaces.count ? String(start + page.count) : ""
        var response: [(String, JSONValue)] = [
            ("TotalCount", .int(interfaces.count)),
            ("NextToken", .string(next)),
        ]
        if maxResults == nil {
            response.append(("PageNumber", .int(pageSize > 0 ? start / pageSize + 1 : 1)))
            response.append(("PageSize", .int(pageSize)))
        }
        response.append(("NetworkInterfaceSets", ["NetworkInterfaceSet": .array(page.map { Self.render($0, region: region) })]))
        return .object(response)
    }

    static func render(_ interface: SimulatedCloud.NetworkInterface, region: String) -> JSONValue {
        let publicIP: JSONValue = [
            "PublicIpAddress": .string(interface.associatedEIP?.ipAddress ?? ""),
            "AllocationId": .string(interface.associatedEIP?.allocationID ?? ""),
        ]
        return [
            "NetworkInterfaceId": .string(interface.networkInterfaceID),
            "Status": "InUse",
            "Type": "Secondary",
            "VpcId": .string(interface.vpcID),
            "VSwitchId": "vsw-emulator",
            "ZoneId": .string(region + "-a"),
            "PrivateIpAddress": .string(interface.privateIPAddress),
            "AssociatedPublicIp": publicIP,
            "PrivateIpSets": [
                "PrivateIpSet": [
                    [
                        "PrivateIpAddress": .string(interface.privateIPAddress),
                        "Primary": true,
                        "AssociatedPublicIp": publicIP,
                    ]
                ]
            ],
            "Ipv6Sets": ["Ipv6Set": []],
            "Tags": ["Tag": []],
        ]
    }
}
