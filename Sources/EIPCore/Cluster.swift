/// A Kubernetes cluster whose agent leases addresses, with its quota of active leases.
public struct Cluster: Sendable, Hashable {
    public var name: String
    public var quota: Int
    public var activeLeases: Int
    public var lastHeartbeat: Timestamp?
    public var createdAt: Timestamp

    public init(name: String, quota: Int, activeLeases: Int = 0, lastHeartbeat: Timestamp? = nil, createdAt: Timestamp) {
        self.name = name
        self.quota = quota
        self.activeLeases = activeLeases
        self.lastHeartbeat = lastHeartbeat
        self.createdAt = createdAt
    }
}
