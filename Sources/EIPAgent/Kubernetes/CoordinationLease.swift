public import Foundation

/// A Lease (`coordination.k8s.io/v1`), the record ``LeaderElector`` keeps: who leads, since when,
/// and until when the others must wait. (Named so to stay apart from the broker's `Lease`.)
public struct CoordinationLease: KubernetesObject, Hashable {
    public static let resource = KubernetesResource(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease")

    public var metadata: ObjectMeta
    public var spec: LeaseSpec

    public init(metadata: ObjectMeta, spec: LeaseSpec = LeaseSpec()) {
        self.metadata = metadata
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey { case metadata, spec }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(LeaseSpec.self, forKey: .spec) ?? LeaseSpec()
    }
}

/// A Lease's spec. The times are `MicroTime`s on the wire (six fractional digits).
public struct LeaseSpec: Sendable, Hashable, Codable {
    /// The current holder; `nil` or empty when the lease is free.
    public var holderIdentity: String?
    /// How long others wait after the last renewal before they may take the lease.
    public var leaseDurationSeconds: Int?
    /// When the current holder took the lease.
    public var acquireTime: Date?
    /// When the holder last renewed the lease.
    public var renewTime: Date?
    /// How many times the lease changed hands.
    public var leaseTransitions: Int?

    public init(
        holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: Date? = nil, renewTime: Date? = nil,
        leaseTransitions: Int? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    enum CodingKeys: String, CodingKey { case holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        holderIdentity = try c.decodeIfPresent(String.self, forKey: .holderIdentity)
        leaseDurationSeconds = try c.decodeIfPresent(Int.self, forKey: .leaseDurationSeconds)
        acquireTime = try c.decodeKubernetesTime(forKey: .acquireTime)
        renewTime = try c.decodeKubernetesTime(forKey: .renewTime)
        leaseTransitions = try c.decodeIfPresent(Int.self, forKey: .leaseTransitions)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(holderIdentity, forKey: .holderIdentity)
        try c.encodeIfPresent(leaseDurationSeconds, forKey: .leaseDurationSeconds)
        try c.encodeKubernetesTime(acquireTime, forKey: .acquireTime, fractionalDigits: 6)
        try c.encodeKubernetesTime(renewTime, forKey: .renewTime, fractionalDigits: 6)
        try c.encodeIfPresent(leaseTransitions, forKey: .leaseTransitions)
    }
}
