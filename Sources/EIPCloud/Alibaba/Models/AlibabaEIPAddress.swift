import EIPCore

/// One EIP as `DescribeEipAddresses` describes it.
public struct AlibabaEIPAddress: Decodable, Sendable, Hashable {
    public var allocationID: String
    public var ipAddress: String
    /// `Associating`, `InUse`, `Unassociating`, `Available`, `Releasing`.
    public var status: String
    public var regionID: String?
    /// The instance it is bound to (an ENI for the broker's EIPs).
    public var instanceID: String?
    /// `NetworkInterface`, `EcsInstance`, `Nat`, ...
    public var instanceType: String?
    public var privateIPAddress: String?
    public var bandwidth: Int?
    public var internetChargeType: String?
    /// `PostPaid` or `PrePaid`.
    public var chargeType: String?
    public var isp: String?
    public var name: String?
    public var description: String?
    public var bandwidthPackageID: String?
    public var resourceGroupID: String?
    public var publicIpAddressPoolID: String?
    public var allocationTime: String?
    public var tags: [String: String]

    public init(
        allocationID: String, ipAddress: String, status: String, regionID: String? = nil, instanceID: String? = nil,
        instanceType: String? = nil, privateIPAddress: String? = nil, bandwidth: Int? = nil, internetChargeType: String? = nil,
        chargeType: String? = nil, isp: String? = nil, name: String? = nil, description: String? = nil,
        bandwidthPackageID: String? = nil, resourceGroupID: String? = nil, publicIpAddressPoolID: String? = nil,
        allocationTime: String? = nil, tags: [String: String] = [:]
    ) {
        self.allocationID = allocationID
        self.ipAddress = ipAddress
        self.status = status
        self.regionID = regionID
        self.instanceID = instanceID
        self.instanceType = instanceType
        self.privateIPAddress = privateIPAddress
        self.bandwidth = bandwidth
        self.internetChargeType = internetChargeType
        self.chargeType = chargeType
        self.isp = isp
        self.name = name
        self.description = description
        self.bandwidthPackageID = bandwidthPackageID
        self.resourceGroupID = resourceGroupID
        self.publicIpAddressPoolID = publicIpAddressPoolID
        self.allocationTime = allocationTime
        self.tags = tags
    }

    private struct Tag: Decodable {
        var key: String?
        var value: String?

        enum CodingKeys: String, CodingKey {
            case key = "Key"
            case value = "Value"
            case tagKey = "TagKey"
            case tagValue = "TagValue"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            key = container.lenientString(.key) ?? container.lenientString(.tagKey)
            value =
                (try? container.decodeIfPresent(String.self, forKey: .value))
                ?? (try? container.decodeIfPresent(String.self, forKey: .tagValue))
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
        func text(_ name: String) -> String? { container.lenientString(AlibabaCodingKey(name)) }
        guard let allocationID = text("AllocationId") else {
            throw DecodingError.keyNotFound(
                AlibabaCodingKey("AllocationId"), .init(codingPath: decoder.codingPath, debugDescription: "an EIP without AllocationId")
            )
        }
        self.allocationID = allocationID
        ipAddress = text("IpAddress") ?? ""
        status = text("Status") ?? ""
        regionID = text("RegionId")
        instanceID = text("InstanceId")
        instanceType = text("InstanceType")
        privateIPAddress = text("PrivateIpAddress")
        bandwidth = container.lenientInt(AlibabaCodingKey("Bandwidth"))
        internetChargeType = text("InternetChargeType")
        chargeType = text("ChargeType")
        isp = text("ISP")
        name = text("Name")
        description = text("Description")
        bandwidthPackageID = text("BandwidthPackageId")
        resourceGroupID = text("ResourceGroupId")
        publicIpAddressPoolID = text("PublicIpAddressPoolID") ?? text("PublicIpAddressPoolId")
        allocationTime = text("AllocationTime")
        let tags = try container.wrappedList("Tags", "Tag", of: Tag.self)
        self.tags = Dictionary(tags.compactMap { tag in tag.key.map { ($0, tag.value ?? "") } }, uniquingKeysWith: { $1 })
    }

    /// Whether it is bound (or being bound) to this ENI's private IP. An empty
    /// `privateIPAddress` on the EIP means the ENI's primary IP, which matches any.
    public func isBound(to networkInterfaceID: String, privateIPAddress: String) -> Bool {
        instanceID == networkInterfaceID && (self.privateIPAddress == nil || self.privateIPAddress == privateIPAddress)
    }

    /// The EIP as the broker's ``CloudProvider`` describes it.
    /// - Throws: `CloudError(.unavailable)` for a status the broker does not know.
    public func cloudEIP(region: String) throws -> CloudEIP {
        guard let status = CloudEIP.Status(rawValue: status) else {
            throw CloudError(
                .unavailable, code: "SDK.UnknownStatus", message: "The EIP \(allocationID) has the unknown status '\(self.status)'.")
        }
        return CloudEIP(
            allocationID: allocationID, ipAddress: ipAddress, region: regionID ?? region, status: status,
            parameters: EIPParameters(
                bandwidth: bandwidth, internetChargeType: internetChargeType, instanceChargeType: chargeType, isp: isp,
                publicIpAddressPoolId: publicIpAddressPoolID, resourceGroupId: resourceGroupID, name: name, description: description
            ),
            instanceID: instanceID, privateIPAddress: privateIPAddress, bandwidthPackageID: bandwidthPackageID, tags: tags
        )
    }
}
