/// The cloud parameters of one EIP: a pool's defaults, a request's overrides, or what a lease got.
///
/// Each field maps to an `AllocateEipAddress` parameter and to a seed annotation
/// (`k8s.aliyun.com/eip-bandwidth`, `eip-internet-charge-type`, ...).
public struct EIPParameters: Sendable, Hashable, Codable {
    /// Peak bandwidth in Mbps.
    public var bandwidth: Int?
    /// `PayByBandwidth` or `PayByTraffic`.
    public var internetChargeType: String?
    /// `PostPaid` or `PrePaid`.
    public var instanceChargeType: String?
    /// Line type: `BGP`, `BGP_PRO`, ...
    public var isp: String?
    public var publicIpAddressPoolId: String?
    public var resourceGroupId: String?
    public var name: String?
    public var description: String?

    public init(
        bandwidth: Int? = nil, internetChargeType: String? = nil, instanceChargeType: String? = nil,
        isp: String? = nil, publicIpAddressPoolId: String? = nil, resourceGroupId: String? = nil,
        name: String? = nil, description: String? = nil
    ) {
        self.bandwidth = bandwidth
        self.internetChargeType = internetChargeType
        self.instanceChargeType = instanceChargeType
        self.isp = isp
        self.publicIpAddressPoolId = publicIpAddressPoolId
        self.resourceGroupId = resourceGroupId
        self.name = name
        self.description = description
    }

    /// What ACK and Terway allocate with when neither the pod nor the pool says: pay by traffic,
    /// 5 Mbps (Alibaba's own default would be pay by bandwidth). Every pool's defaults start
    /// from these.
    public static let ackDefaults = EIPParameters(bandwidth: 5, internetChargeType: "PayByTraffic")

    /// Why a `PrePaid` EIP is never allocated, said alike by the broker (422) and by the agent's
    /// annotation parser.
    public static let prePaidRefusal =
        "PrePaid (subscription) EIPs are not allocated here: Alibaba needs a PricingCycle and Period for them, "
        + "and one cannot be released before its term ends; use PostPaid, or bind a PrePaid EIP you own "
        + "with k8s.aliyun.com/pod-eip-instanceid (eipInstanceId)"

    /// These parameters with every field that `overrides` sets taken from it.
    public func overridden(by overrides: EIPParameters) -> EIPParameters {
        EIPParameters(
            bandwidth: overrides.bandwidth ?? bandwidth,
            internetChargeType: overrides.internetChargeType ?? internetChargeType,
            instanceChargeType: overrides.instanceChargeType ?? instanceChargeType,
            isp: overrides.isp ?? isp,
            publicIpAddressPoolId: overrides.publicIpAddressPoolId ?? publicIpAddressPoolId,
            resourceGroupId: overrides.resourceGroupId ?? resourceGroupId,
            name: overrides.name ?? name,
            description: overrides.description ?? description
        )
    }

    /// Whether an idle address made with `self` can serve a request that asks for `wanted`:
    /// every cloud-visible parameter agrees. Name and description are ignored.
    public func canServe(_ wanted: EIPParameters) -> Bool {
        bandwidth == wanted.bandwidth && internetChargeType == wanted.internetChargeType
            && instanceChargeType == wanted.instanceChargeType && isp == wanted.isp
            && publicIpAddressPoolId == wanted.publicIpAddressPoolId && resourceGroupId == wanted.resourceGroupId
    }

    /// Whether an EIP the cloud describes with `self` is one a request for `requested` could
    /// have made: every cloud-visible field `requested` sets agrees (a field it leaves to the
    /// cloud's default accepts any value).
    public func satisfies(_ requested: EIPParameters) -> Bool {
        func agrees<Value: Equatable>(_ field: KeyPath<EIPParameters, Value?>) -> Bool {
            requested[keyPath: field] == nil || requested[keyPath: field] == self[keyPath: field]
        }
        return agrees(\.bandwidth) && agrees(\.internetChargeType) && agrees(\.instanceChargeType) && agrees(\.isp)
            && agrees(\.publicIpAddressPoolId) && agrees(\.resourceGroupId)
    }

    /// Checks every field against the cloud's rules, naming the field (with `prefix`) on failure.
    public func violations(prefix: String = "") -> [BrokerError.FieldViolation] {
        var found: [BrokerError.FieldViolation] = []
        if let bandwidth, !(1...1000).contains(bandwidth) {
            found.append(.init(field: prefix + "bandwidth", rule: "must be between 1 and 1000 Mbps (got \(bandwidth))"))
        }
        if let value = internetChargeType, !["PayByBandwidth", "PayByTraffic"].contains(value) {
            found.append(.init(field: prefix + "internetChargeType", rule: "must be PayByBandwidth or PayByTraffic (got '\(value)')"))
        }
        if instanceChargeType == "PrePaid" {
            found.append(.init(field: prefix + "instanceChargeType", rule: Self.prePaidRefusal, isContextual: true))
        } else if let value = instanceChargeType, value != "PostPaid" {
            found.append(.init(field: prefix + "instanceChargeType", rule: "must be PostPaid or PrePaid (got '\(value)')"))
        }
        if let value = isp, !Validation.isISP(value) {
            found.append(.init(field: prefix + "isp", rule: "must be a line type such as BGP or BGP_PRO (got '\(value)')"))
        }
        for (field, value, idPrefix) in [
            ("publicIpAddressPoolId", publicIpAddressPoolId, "pippool-"), ("resourceGroupId", resourceGroupId, "rg-"),
        ] {
            if let value, !Validation.isCloudID(value, prefix: idPrefix) {
                found.append(
                    .init(
                        field: prefix + field,
                        rule: "must look like \(idPrefix)xxxx: letters, digits and '-', at most 64 characters (got '\(value)')"))
            }
        }
        if let name, !Validation.fits(name, characters: 128) {
            found.append(.init(field: prefix + "name", rule: "must be at most 128 characters (512 bytes of UTF-8)"))
        }
        if let description, !Validation.fits(description, characters: 256) {
            found.append(.init(field: prefix + "description", rule: "must be at most 256 characters (1024 bytes of UTF-8)"))
        }
        // Control characters (NUL above all, which PostgreSQL cannot store) have no place in a cloud name.
        for (field, value) in [("name", name), ("description", description)] {
            if let value, value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                found.append(.init(field: prefix + field, rule: "must not contain control characters"))
            }
        }
        return found
    }
}
