/// The fields of the broker's `AllocateRequest` (`POST /v1/leases`) for one pod, typed.
///
/// Encodes to that schema's JSON: the property names of `api/openapi.yaml` (`podUid`,
/// `eipInstanceId`, `bandwidthPackageId`, ...), with absent fields left out. Made by
/// ``PodEIPRequest/allocateFields(cluster:namespace:pod:podUID:allowRob:)``.
public struct PodEIPAllocateFields: Sendable, Hashable, Codable {
    public var cluster: String?
    public var namespace: String
    public var pod: String
    public var podUID: String
    /// Set for an `Auto` request; excludes ``eipInstanceID``.
    public var pool: String?
    /// Set for a static EIP; excludes ``pool``.
    public var eipInstanceID: String?
    /// `Follow`, `Never` or a Go duration.
    public var releaseStrategy: String
    /// The pool defaults overridden (flattened into the body: `bandwidth`, `isp`, ...).
    public var overrides: EIPParameters
    public var bandwidthPackageID: String?
    public var allowRob: Bool?

    public init(
        cluster: String? = nil, namespace: String, pod: String, podUID: String, pool: String? = nil,
        eipInstanceID: String? = nil, releaseStrategy: String, overrides: EIPParameters = EIPParameters(),
        bandwidthPackageID: String? = nil, allowRob: Bool? = nil
    ) {
        self.cluster = cluster
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.pool = pool
        self.eipInstanceID = eipInstanceID
        self.releaseStrategy = releaseStrategy
        self.overrides = overrides
        self.bandwidthPackageID = bandwidthPackageID
        self.allowRob = allowRob
    }

    enum CodingKeys: String, CodingKey {
        case cluster, namespace, pod, podUid, pool, eipInstanceId, releaseStrategy, bandwidth, internetChargeType
        case instanceChargeType, isp, bandwidthPackageId, publicIpAddressPoolId, resourceGroupId, name, description
        case allowRob
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cluster = try c.decodeIfPresent(String.self, forKey: .cluster)
        namespace = try c.decode(String.self, forKey: .namespace)
        pod = try c.decode(String.self, forKey: .pod)
        podUID = try c.decode(String.self, forKey: .podUid)
        pool = try c.decodeIfPresent(String.self, forKey: .pool)
        eipInstanceID = try c.decodeIfPresent(String.self, forKey: .eipInstanceId)
        releaseStrategy = try c.decodeIfPresent(String.self, forKey: .releaseStrategy) ?? "Follow"
        overrides = EIPParameters(
            bandwidth: try c.decodeIfPresent(Int.self, forKey: .bandwidth),
            internetChargeType: try c.decodeIfPresent(String.self, forKey: .internetChargeType),
            instanceChargeType: try c.decodeIfPresent(String.self, forKey: .instanceChargeType),
            isp: try c.decodeIfPresent(String.self, forKey: .isp),
            publicIpAddressPoolId: try c.decodeIfPresent(String.self, forKey: .publicIpAddressPoolId),
            resourceGroupId: try c.decodeIfPresent(String.self, forKey: .resourceGroupId),
            name: try c.decodeIfPresent(String.self, forKey: .name),
            description: try c.decodeIfPresent(String.self, forKey: .description)
        )
        bandwidthPackageID = try c.decodeIfPresent(String.self, forKey: .bandwidthPackageId)
        allowRob = try c.decodeIfPresent(Bool.self, forKey: .allowRob)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(cluster, forKey: .cluster)
        try c.encode(namespace, forKey: .namespace)
        try c.encode(pod, forKey: .pod)
        try c.encode(podUID, forKey: .podUid)
        try c.encodeIfPresent(pool, forKey: .pool)
        try c.encodeIfPresent(eipInstanceID, forKey: .eipInstanceId)
        try c.encode(releaseStrategy, forKey: .releaseStrategy)
        try c.encodeIfPresent(overrides.bandwidth, forKey: .bandwidth)
        try c.encodeIfPresent(overrides.internetChargeType, forKey: .internetChargeType)
        try c.encodeIfPresent(overrides.instanceChargeType, forKey: .instanceChargeType)
        try c.encodeIfPresent(overrides.isp, forKey: .isp)
        try c.encodeIfPresent(bandwidthPackageID, forKey: .bandwidthPackageId)
        try c.encodeIfPresent(overrides.publicIpAddressPoolId, forKey: .publicIpAddressPoolId)
        try c.encodeIfPresent(overrides.resourceGroupId, forKey: .resourceGroupId)
        try c.encodeIfPresent(overrides.name, forKey: .name)
        try c.encodeIfPresent(overrides.description, forKey: .description)
        try c.encodeIfPresent(allowRob, forKey: .allowRob)
    }
}
