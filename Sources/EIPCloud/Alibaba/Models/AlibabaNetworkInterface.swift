/// One ENI as ECS's `DescribeNetworkInterfaces` describes it.
public struct AlibabaNetworkInterface: Decodable, Sendable, Hashable {
    /// One private IP of the ENI.
    public struct PrivateIP: Decodable, Sendable, Hashable {
        public var address: String
        public var isPrimary: Bool
        /// The EIP bound to this IP, if any.
        public var associatedPublicIP: String?
        public var associatedAllocationID: String?

        public init(address: String, isPrimary: Bool, associatedPublicIP: String? = nil, associatedAllocationID: String? = nil) {
            self.address = address
            self.isPrimary = isPrimary
            self.associatedPublicIP = associatedPublicIP
            self.associatedAllocationID = associatedAllocationID
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
            address = container.lenientString(AlibabaCodingKey("PrivateIpAddress")) ?? ""
            isPrimary = container.lenientBool(AlibabaCodingKey("Primary")) ?? false
            if container.contains(AlibabaCodingKey("AssociatedPublicIp")),
                let associated = try? container.nestedContainer(
                    keyedBy: AlibabaCodingKey.self, forKey: AlibabaCodingKey("AssociatedPublicIp"))
            {
                associatedPublicIP = associated.lenientString(AlibabaCodingKey("PublicIpAddress"))
                associatedAllocationID = associated.lenientString(AlibabaCodingKey("AllocationId"))
            }
        }
    }

    public var networkInterfaceID: String
    /// The primary private IP.
    public var privateIPAddress: String?
    public var privateIPs: [PrivateIP]
    public var instanceID: String?
    public var vpcID: String?
    public var vSwitchID: String?
    /// `Available`, `InUse`, ...
    public var status: String?
    /// `Primary` or `Secondary`.
    public var type: String?

    public init(
        networkInterfaceID: String, privateIPAddress: String? = nil, privateIPs: [PrivateIP] = [], instanceID: String? = nil,
        vpcID: String? = nil, vSwitchID: String? = nil, status: String? = nil, type: String? = nil
    ) {
        self.networkInterfaceID = networkInterfaceID
        self.privateIPAddress = privateIPAddress
        self.privateIPs = privateIPs
        self.instanceID = instanceID
        self.vpcID = vpcID
        self.vSwitchID = vSwitchID
        self.status = status
        self.type = type
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
        func text(_ name: String) -> String? { container.lenientString(AlibabaCodingKey(name)) }
        guard let id = text("NetworkInterfaceId") else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an ENI without NetworkInterfaceId"))
        }
        networkInterfaceID = id
        privateIPAddress = text("PrivateIpAddress")
        privateIPs = try container.wrappedList("PrivateIpSets", "PrivateIpSet", of: PrivateIP.self)
        instanceID = text("InstanceId")
        vpcID = text("VpcId")
        vSwitchID = text("VSwitchId")
        status = text("Status")
        type = text("Type")
    }

    /// Whether `address` is the primary or a secondary private IP of this ENI.
    public func holds(_ address: String) -> Bool {
        privateIPAddress == address || privateIPs.contains { $0.address == address }
    }
}
