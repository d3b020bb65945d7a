extension AlibabaVPCClient {
    /// `AssociateEipAddress`: binds an EIP to an instance; for pods, an ENI's private IP.
    public struct AssociateEipAddressRequest: Sendable, Hashable {
        public var allocationID: String
        public var instanceID: String
        /// `NetworkInterface` for an ENI (the default here), `EcsInstance`, `Nat`, ...
        public var instanceType: String
        /// The ENI's private IP (primary or secondary) to map the EIP to.
        public var privateIPAddress: String?
        /// `NAT` (Alibaba's default), `MULTI_BINDED` or `BINDED`.
        public var mode: String?
        public var clientToken: String?

        public init(
            allocationID: String, instanceID: String, instanceType: String = "NetworkInterface", privateIPAddress: String? = nil,
            mode: String? = nil, clientToken: String? = nil
        ) {
            self.allocationID = allocationID
            self.instanceID = instanceID
            self.instanceType = instanceType
            self.privateIPAddress = privateIPAddress
            self.mode = mode
            self.clientToken = clientToken
        }

        public var parameters: AlibabaRPCParameters {
            var parameters: AlibabaRPCParameters = ["AllocationId": allocationID, "InstanceId": instanceID, "InstanceType": instanceType]
            parameters.set("PrivateIpAddress", privateIPAddress)
            parameters.set("Mode", mode)
            parameters.set("ClientToken", clientToken)
            return parameters
        }
    }

    /// `UnassociateEipAddress`: unbinds an EIP from the instance it is bound to.
    public struct UnassociateEipAddressRequest: Sendable, Hashable {
        public var allocationID: String
        public var instanceID: String?
        public var instanceType: String?
        public var privateIPAddress: String?
        /// Unbind even while the instance is not in a state that allows it.
        public var force: Bool?
        public var clientToken: String?

        public init(
            allocationID: String, instanceID: String? = nil, instanceType: String? = nil, privateIPAddress: String? = nil,
            force: Bool? = nil,
            clientToken: String? = nil
        ) {
            self.allocationID = allocationID
            self.instanceID = instanceID
            self.instanceType = instanceType
            self.privateIPAddress = privateIPAddress
            self.force = force
            self.clientToken = clientToken
        }

        public var parameters: AlibabaRPCParameters {
            var parameters: AlibabaRPCParameters = ["AllocationId": allocationID]
            parameters.set("InstanceId", instanceID)
            parameters.set("InstanceType", instanceType)
            parameters.set("PrivateIpAddress", privateIPAddress)
            parameters.set("Force", force)
            parameters.set("ClientToken", clientToken)
            return parameters
        }
    }
}
