/// A Kubernetes cluster whose agent leases addresses: where its pods are, and its quota of
/// active leases.
public struct Cluster: Sendable, Hashable {
    /// The cluster's immutable id (`c-...`): a cluster deleted and created again under the same
    /// name gets a new one, and inherits none of its predecessor's idempotency keys or events.
    public var id: String
    public var name: String
    public var location: ClusterLocation
    /// Whether the cluster's agent may take a static EIP bound elsewhere (`allowRob`).
    public var allowRob: Bool
    public var quota: Int
    public var activeLeases: Int
    public var lastHeartbeat: Timestamp?
    /// Since when the cluster's agent has been silent (no heartbeat for the broker's
    /// `silentClusterAfter` while it holds leases); `nil` while it reports. A silent cluster
    /// keeps its leases.
    public var silentSince: Timestamp?
    public var createdAt: Timestamp

    public init(
        id: String, name: String, location: ClusterLocation, allowRob: Bool = false, quota: Int, activeLeases: Int = 0,
        lastHeartbeat: Timestamp? = nil, silentSince: Timestamp? = nil, createdAt: Timestamp
    ) {
        self.id = id
        self.name = name
        self.location = location
        self.allowRob = allowRob
        self.quota = quota
        self.activeLeases = activeLeases
        self.lastHeartbeat = lastHeartbeat
        self.silentSince = silentSince
        self.createdAt = createdAt
    }
}

/// Where a cluster's pods are: the cloud account, the region, and the VPCs whose ENIs they use.
/// The broker looks ENIs up only in these VPCs, and serves the cluster only pools and static EIPs
/// of this account and region.
public struct ClusterLocation: Sendable, Hashable {
    /// The cloud account's name in the broker's configuration.
    public var provider: String
    public var region: String
    /// One or more VPC ids; may be empty on the simulated cloud (its default VPC).
    public var vpcIDs: [String]

    public init(provider: String, region: String, vpcIDs: [String] = []) {
        self.provider = provider
        self.region = region
        self.vpcIDs = vpcIDs
    }
}
