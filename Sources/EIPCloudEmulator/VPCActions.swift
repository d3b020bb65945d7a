import EIPCloud
import EIPCloudSimulated
import EIPCore
import HTTPTypes

/// The VPC `2016-04-28` EIP actions, answered from the simulated cloud with Alibaba's request
/// parameters and response shapes. Association changes are asynchronous, as on Alibaba Cloud:
/// `AssociateEipAddress` returns while the EIP is `Associating`.
struct VPCActions: Sendable {
    let cloud: SimulatedCloud
    let region: String
    let journal: EmulatorJournal

    func handle(_ call: RPCCall) async throws -> JSONValue {
        let region = try call.region(served: region)
        let parameters = call.parameters
        switch call.target.action {
        case "AllocateEipAddress": return try await allocate(parameters, region: region, pro: false)
        case "AllocateEipAddressPro": return try await allocate(parameters, region: region, pro: true)
        case "DescribeEipAddresses": return try await describe(parameters, region: region)
        case "AssociateEipAddress": return try await associate(parameters, region: region)
        case "UnassociateEipAddress":
            let allocationID = try parameters.required("AllocationId")
            _ = try parameters.bool("Force")
            try await cloud.beginUnassociation(allocationID: allocationID, region: region)
            journal.record("UnassociateEipAddress", allocationID: allocationID)
            return [:]
        case "ReleaseEipAddress":
            let allocationID = try parameters.required("AllocationId")
            guard let eip = try await cloud.peek(allocationID: allocationID, region: region) else {
                throw EmulatorAPIError(.notFound, "InvalidAllocationId.NotFound", "The specified EIP \(allocationID) does not exist.")
            }
            try await cloud.release(allocationID: allocationID, region: region)
            journal.record("ReleaseEipAddress", allocationID: allocationID, ipAddress: eip.ipAddress)
            return [:]
        case "AddCommonBandwidthPackageIp":
            try await cloud.joinBandwidthPackage(
                allocationID: parameters.required("IpInstanceId"), bandwidthPackageID: parameters.required("BandwidthPackageId"),
                region: region
            )
            return [:]
        case "RemoveCommonBandwidthPackageIp":
            try await cloud.leaveBandwidthPackage(
                allocationID: parameters.required("IpInstanceId"), bandwidthPackageID: parameters.required("BandwidthPackageId"),
                region: region
            )
            return [:]
        case "DescribeCommonBandwidthPackages":
            let pageNumber = try parameters.int("PageNumber", in: 1...Int(Int32.max)) ?? 1
            let pageSize = try parameters.int("PageSize", in: 1...50) ?? 10
            let all = try await cloud.describeBandwidthPackages(region: region, id: parameters.string("BandwidthPackageId"))
            let page = all.dropFirst((pageNumber - 1) * pageSize).prefix(pageSize)
            return [
                "TotalCount": .int(all.count),
                "PageNumber": .int(pageNumber),
                "PageSize": .int(pageSize),
                "CommonBandwidthPackages": ["CommonBandwidthPackage": .array(page.map(BandwidthPackageJSON.render))],
            ]
        case "TagResources": return try await tag(parameters, region: region)
        default:
            throw EmulatorAPIError(.notFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        }
    }

    /// `AllocateEipAddress`, and `AllocateEipAddressPro` with `IpAddress` for a given address.
    private func allocate(_ parameters: RPCParameters, region: String, pro: Bool) async throws -> JSONValue {
        let eipParameters = EIPParameters(
            bandwidth: try parameters.int("Bandwidth", in: 1...10_000),
            internetChargeType: try parameters.oneOf("InternetChargeType", ["PayByBandwidth", "PayByTraffic"]),
            instanceChargeType: try parameters.oneOf("InstanceChargeType", ["PostPaid", "PrePaid"]),
            isp: parameters.string("ISP"),
            publicIpAddressPoolId: parameters.string("PublicIpAddressPoolId"),
            resourceGroupId: parameters.string("ResourceGroupId"),
            name: parameters.string("Name"),
            description: parameters.string("Description")
        )
        let request = CloudAllocationRequest(
            region: region, parameters: eipParameters, clientToken: parameters.string("ClientToken") ?? "", tags: [:]
        )
        let eip: CloudEIP
        if pro, let address = parameters.string("IpAddress") {
            eip = try await cloud.allocate(request, ipAddress: address)
        } else if pro, let instanceID = parameters.string("InstanceId") {
            throw EmulatorAPIError(
                .badRequest, "InvalidParameter",
                "The emulator keeps no released EIPs, so InstanceId \(instanceID) cannot be allocated again; pass IpAddress instead."
            )
        } else {
            eip = try await cloud.allocate(request)
        }
        journal.record(pro ? "AllocateEipAddressPro" : "AllocateEipAddress", allocationID: eip.allocationID, ipAddress: eip.ipAddress)
        return [
            "AllocationId": .string(eip.allocationID),
            "EipAddress": .string(eip.ipAddress),
            "ResourceGroupId": .string(eip.parameters.resourceGroupId ?? ""),
        ]
    }

    private func describe(_ parameters: RPCParameters, region: String) async throws -> JSONValue {
        let pageNumber = try parameters.int("PageNumber", in: 1...Int(Int32.max)) ?? 1
        let pageSize = try parameters.int("PageSize", in: 1...100) ?? 10
        let status = try parameters.oneOf("Status", ["Associating", "Unassociating", "InUse", "Available", "Releasing"])
        let filter = SimulatedCloud.EIPFilter(
            allocationIDs: try parameters.commaList("AllocationId", limit: 50),
            ipAddresses: try parameters.commaList("EipAddress", limit: 50),
            status: status.flatMap(CloudEIP.Status.init(rawValue:)),
            associatedInstanceID: parameters.string("AssociatedInstanceId"),
            bandwidthPackageID: parameters.string("BandwidthPackageId"),
            publicIpAddressPoolId: parameters.string("PublicIpAddressPoolId"),
            resourceGroupId: parameters.string("ResourceGroupId"),
            tags: try parameters.tags(limit: 20).map { SimulatedCloud.EIPFilter.Tag(key: $0.key, value: $0.value) }
        )
        let page = try await cloud.describeEIPs(region: region, filter: filter, pageNumber: pageNumber, pageSize: pageSize)
        return [
            "TotalCount": .int(page.totalCount),
            "PageNumber": .int(pageNumber),
            "PageSize": .int(pageSize),
            "EipAddresses": ["EipAddress": .array(page.eips.map(EIPAddressJSON.render))],
        ]
    }

    private func associate(_ parameters: RPCParameters, region: String) async throws -> JSONValue {
        let allocationID = try parameters.required("AllocationId")
        let instanceID = try parameters.required("InstanceId")
        let instanceType = parameters.string("InstanceType") ?? "EcsInstance"
        guard instanceType == "NetworkInterface", instanceID.hasPrefix("eni-") else {
            throw EmulatorAPIError(
                .notFound, "InvalidInstanceId.NotFound",
                "The specified instance \(instanceID) (\(instanceType)) does not exist: the emulator has ENIs only (InstanceType=NetworkInterface)."
            )
        }
        let privateIP: String
        if let given = parameters.string("PrivateIpAddress") {
            guard Validation.isIPv4(given) else {
                throw EmulatorAPIError.invalidParameter("PrivateIpAddress", "'\(given)' is not an IPv4 address.")
            }
            guard try await cloud.knownNetworkInterface(instanceID)?.privateIPAddress == given else {
                throw EmulatorAPIError(
                    .badRequest, "InvalidPrivateIpAddress.NotFound",
                    "The private IP address \(given) does not belong to the ENI \(instanceID)."
                )
            }
            privateIP = given
        } else if let primary = try await cloud.knownNetworkInterface(instanceID)?.privateIPAddress {
            privateIP = primary
        } else {
            throw EmulatorAPIError(.notFound, "InvalidInstanceId.NotFound", "The specified instance \(instanceID) does not exist.")
        }
        try await cloud.beginAssociation(
            allocationID: allocationID, networkInterfaceID: instanceID, privateIPAddress: privateIP, region: region)
        journal.record("AssociateEipAddress", allocationID: allocationID, instanceID: instanceID)
        return [:]
    }

    private func tag(_ parameters: RPCParameters, region: String) async throws -> JSONValue {
        let resourceType = try parameters.required("ResourceType")
        guard resourceType.uppercased() == "EIP" else {
            throw EmulatorAPIError.invalidParameter("ResourceType", "the emulator tags EIPs only (got '\(resourceType)').")
        }
        let resources = try parameters.list("ResourceId", limit: 50)
        guard !resources.isEmpty else { throw EmulatorAPIError.missingParameter("ResourceId.1") }
        let tags = try parameters.tags(limit: 20)
        guard !tags.isEmpty else { throw EmulatorAPIError.missingParameter("Tag.1.Key") }
        var map: [String: String] = [:]
        for tag in tags { map[tag.key] = tag.value ?? "" }
        try await cloud.tag(allocationIDs: resources, with: map, region: region)
        return [:]
    }
}
