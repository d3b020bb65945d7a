/// The spec and status of a `PodEIP` (`podeips.alibabacloud.com/v1beta1`), the resource the agent
/// keeps beside each pod with an EIP, named after the pod, as the seed's controller does.
///
/// Encodes to the seed's JSON field names (`allocationID`, `allocationType`, `eipAddress`,
/// `networkInterfaceID`, `publicIpAddressPoolID`, `podLastSeen` in RFC 3339, ...), leaving out
/// what is unknown. Metadata (name, namespace, finalizers) is the Kubernetes client's business.
///
/// ```swift
/// let body = try JSONEncoder().encode(PodEIP(lease: lease))
/// // {"spec":{"allocationID":"eip-...","allocationType":{"releaseStrategy":"Follow","type":"Auto"}},
/// //  "status":{"eipAddress":"39.102.0.7","status":"InUse",...}}
/// ```
public struct PodEIP: Sendable, Hashable, Codable {
    /// The API group of the CRD.
    public static let group = "alibabacloud.com"
    /// The served version.
    public static let version = "v1beta1"
    /// `apiVersion` of every PodEIP object.
    public static let apiVersion = "alibabacloud.com/v1beta1"
    public static let kind = "PodEIP"
    /// The resource name in URLs: `/apis/alibabacloud.com/v1beta1/namespaces/{ns}/podeips`.
    public static let plural = "podeips"
    /// The finalizer the agent puts on each PodEIP and lifts once the broker has settled the
    /// release. Ours, not the seed's `podeip-controller.alibabacloud.com/finalizer`: should ACK's
    /// controller have left PodEIPs behind, each controller lifts only its own finalizer.
    public static let finalizer = "eip-broker.io/release"

    public var spec: PodEIPSpec
    public var status: PodEIPStatus

    public init(spec: PodEIPSpec, status: PodEIPStatus) {
        self.spec = spec
        self.status = status
    }

    /// The PodEIP that shows a broker lease.
    public init(lease: Lease) {
        self.spec = PodEIPSpec(
            allocationID: lease.allocationID, bandwidthPackageID: lease.bandwidthPackageID,
            allocationType: PodEIPAllocationType(type: lease.allocationType, releaseStrategy: lease.releaseStrategy)
        )
        self.status = PodEIPStatus(
            eipAddress: lease.ipAddress, internetChargeType: lease.parameters.internetChargeType, isp: lease.parameters.isp,
            networkInterfaceID: lease.networkInterfaceID, podLastSeen: lease.podLastSeen,
            privateIPAddress: lease.privateIPAddress, publicIpAddressPoolID: lease.parameters.publicIpAddressPoolId,
            resourceGroupID: lease.parameters.resourceGroupId, name: lease.parameters.name,
            bandwidthPackageID: lease.bandwidthPackageID, status: lease.phase.rawValue
        )
    }
}

/// A PodEIP's `spec`: which EIP, and how it was allocated and is released.
public struct PodEIPSpec: Sendable, Hashable, Codable {
    /// The EIP's allocation id (`eip-...`); absent until the cloud has allocated it.
    public var allocationID: String?
    /// The shared bandwidth package the EIP joined (a field of ACK's own v1beta1 type).
    public var bandwidthPackageID: String?
    public var allocationType: PodEIPAllocationType

    public init(allocationID: String?, bandwidthPackageID: String? = nil, allocationType: PodEIPAllocationType) {
        self.allocationID = allocationID
        self.bandwidthPackageID = bandwidthPackageID
        self.allocationType = allocationType
    }
}

/// A PodEIP's `spec.allocationType`: `type` (`Auto`/`Static`), `releaseStrategy`
/// (`Follow`/`TTL`/`Never`) and, for `TTL`, `releaseAfter` as a Go duration.
public struct PodEIPAllocationType: Sendable, Hashable, Codable {
    public var type: AllocationType
    public var releaseStrategy: ReleaseStrategy

    public init(type: AllocationType, releaseStrategy: ReleaseStrategy) {
        self.type = type
        self.releaseStrategy = releaseStrategy
    }

    /// `releaseAfter` written short, as the seed shows it: `10m`, `5m30s`, `1h30m`, `1h0m5s`, `1.5s`.
    /// (Go's `Duration.String()` would write `10m0s`; both parse to the same duration.)
    public var releaseAfter: String? {
        guard var text = releaseStrategy.releaseAfter else { return nil }
        if text.hasSuffix("m0s") { text.removeLast(2) }
        if text.hasSuffix("h0m") { text.removeLast(2) }
        return text
    }

    enum CodingKeys: String, CodingKey {
        case type, releaseStrategy, releaseAfter
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(AllocationType.self, forKey: .type)
        let kind = try c.decode(String.self, forKey: .releaseStrategy)
        let after = try c.decodeIfPresent(String.self, forKey: .releaseAfter)
        guard let strategy = ReleaseStrategy(kind: kind, ttlMilliseconds: after.flatMap(GoDuration.milliseconds)) else {
            throw DecodingError.dataCorruptedError(
                forKey: .releaseStrategy, in: c,
                debugDescription: "releaseStrategy must be Follow, Never, or TTL with a Go duration in releaseAfter"
            )
        }
        releaseStrategy = strategy
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(releaseStrategy.kind, forKey: .releaseStrategy)
        try c.encodeIfPresent(releaseAfter, forKey: .releaseAfter)
    }
}
