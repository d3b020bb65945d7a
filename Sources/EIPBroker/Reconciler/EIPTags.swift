/// The tags the broker puts on the EIPs it allocates: `eip-broker/owner` (the broker's id,
/// the only tag the drift pass trusts), the pool, and for a leased EIP its lease, cluster,
/// namespace and pod, so the console shows whom an EIP serves.
enum EIPTags {
    static let owner = "eip-broker/owner"
    static let pool = "eip-broker/pool"
    static let lease = "eip-broker/lease"

    /// An EIP allocated warm for a pool, or one back in its pool.
    static func warm(brokerID: String, pool: String?) -> [String: String] {
        [owner: brokerID, Self.pool: pool ?? ""]
    }

    /// An EIP serving a lease.
    static func leased(brokerID: String, pool: String?, leaseID: String, cluster: String, namespace: String, pod: String) -> [String:
        String]
    {
        warm(brokerID: brokerID, pool: pool).merging([
            lease: leaseID, "eip-broker/cluster": cluster, "eip-broker/namespace": namespace, "eip-broker/pod": pod,
        ]) { $1 }
    }
}
