public import EIPCore

extension AlibabaVPCClient {
    /// `AllocateEipAddress` (or, with ``ipAddress`` or ``instanceID``, `AllocateEipAddressPro`).
    public struct AllocateEipAddressRequest: Sendable, Hashable {
        /// Peak bandwidth in Mbps (Alibaba's default: 5).
        public var bandwidth: Int?
        /// `PayByBandwidth` (default) or `PayByTraffic`.
        public var internetChargeType: String?
        /// `PostPaid` (default) or `PrePaid`, which takes ``period``, ``pricingCycle`` and ``autoPay``.
        public var instanceChargeType: String?
        public var period: Int?
        /// `Month` or `Year`.
        public var pricingCycle: String?
        public var autoPay: Bool?
        /// `BGP` (default), `BGP_PRO`, ...
        public var isp: String?
        public var publicIpAddressPoolID: String?
        public var resourceGroupID: String?
        public var name: String?
        public var description: String?
        /// Idempotency: the same token on every retry returns the EIP the first call made.
        public var clientToken: String?
        /// `AllocateEipAddressPro` only: the address to allocate.
        public var ipAddress: String?
        /// `AllocateEipAddressPro` only: the id of a released EIP to allocate again.
        public var instanceID: String?

        public init(
            bandwidth: Int? = nil, internetChargeType: String? = nil, instanceChargeType: String? = nil, period: Int? = nil,
            pricingCycle: String? = nil, autoPay: Bool? = nil, isp: String? = nil, publicIpAddressPoolID: String? = nil,
            resourceGroupID: String? = nil, name: String? = nil, description: String? = nil, clientToken: String? = nil,
            ipAddress: String? = nil, instanceID: String? = nil
        ) {
            self.bandwidth = bandwidth
            self.internetChargeType = internetChargeType
            self.instanceChargeType = instanceChargeType
            self.period = period
            self.pricingCycle = pricingCycle
            self.autoPay = autoPay
            self.isp = isp
            self.publicIpAddressPoolID = publicIpAddressPoolID
            self.resourceGroupID = resourceGroupID
            self.name = name
            self.description = description
            self.clientToken = clientToken
            self.ipAddress = ipAddress
            self.instanceID = instanceID
        }

        /// The request for a pool's or lease's ``EIPParameters``.
        public init(_ parameters: EIPParameters, clientToken: String?) {
            self.init(
                bandwidth: parameters.bandwidth, internetChargeType: parameters.internetChargeType,
                instanceChargeType: parameters.instanceChargeType, isp: parameters.isp,
                publicIpAddressPoolID: parameters.publicIpAddressPoolId,
                resourceGroupID: parameters.resourceGroupId, name: parameters.name, description: parameters.description,
                clientToken: clientToken
            )
        }

        /// Whether this asks for a given address, which takes `AllocateEipAddressPro`.
        public var isPro: Bool { ipAddress != nil || instanceID != nil }

        public var parameters: AlibabaRPCParameters {
            var parameters = AlibabaRPCParameters()
            parameters.set("Bandwidth", bandwidth)
            parameters.set("InternetChargeType", internetChargeType)
            parameters.set("InstanceChargeType", instanceChargeType)
            parameters.set("Period", period)
            parameters.set("PricingCycle", pricingCycle)
            parameters.set("AutoPay", autoPay)
            parameters.set("ISP", isp)
            parameters.set("PublicIpAddressPoolId", publicIpAddressPoolID)
            parameters.set("ResourceGroupId", resourceGroupID)
            parameters.set("Name", name)
            parameters.set("Description", description)
            parameters.set("ClientToken", clientToken)
            parameters.set("IpAddress", ipAddress)
            parameters.set("InstanceId", instanceID)
            return parameters
        }
    }

    /// The new EIP.
    public struct AllocateEipAddressResponse: Decodable, Sendable, Hashable {
        public var allocationID: String
        public var ipAddress: String
        public var resourceGroupID: String?
        public var orderID: String?
        public var requestID: String?

        public init(
            allocationID: String, ipAddress: String, resourceGroupID: String? = nil, orderID: String? = nil, requestID: String? = nil
        ) {
            self.allocationID = allocationID
            self.ipAddress = ipAddress
            self.resourceGroupID = resourceGroupID
            self.orderID = orderID
            self.requestID = requestID
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
            func text(_ name: String) -> String? { container.lenientString(AlibabaCodingKey(name)) }
            guard let allocationID = text("AllocationId"), let ipAddress = text("EipAddress") ?? text("IpAddress") else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no AllocationId or EipAddress"))
            }
            self.allocationID = allocationID
            self.ipAddress = ipAddress
            resourceGroupID = text("ResourceGroupId")
            orderID = text("OrderId")
            requestID = text("RequestId")
        }
    }
}
