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

/// A shared bandwidth package (CBWP) and how many of the broker's addresses are in it.
public struct BandwidthPackage: Sendable, Hashable {
    public var id: String
    public var provider: String
    public var region: String
    public var maxIPs: Int
    public var members: Int
    public var createdAt: Timestamp

    public init(id: String, provider: String, region: String, maxIPs: Int, members: Int = 0, createdAt: Timestamp) {
        self.id = id
        self.provider = provider
        self.region = region
        self.maxIPs = maxIPs
        self.members = members
        self.createdAt = createdAt
    }
}

/// One entry of the append-only audit log: who did what to which lease, pool or address.
public struct AuditEvent: Sendable, Hashable {
    public var id: Int64
    public var at: Timestamp
    public var actor: String
    public var action: String
    public var subjectType: String
    public var subjectID: String
    public var cluster: String?
    public var message: String

    public init(id: Int64 = 0, at: Timestamp, actor: String, action: String, subjectType: String, subjectID: String, cluster: String?, message: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.cluster = cluster
        self.message = message
    }
}

/// Who is calling: an administrator, or the agent of one cluster.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    case admin
    case cluster(String)

    /// The name written to the audit log.
    public var description: String {
        switch self {
        case .admin: "admin"
        case .cluster(let name): "cluster:\(name)"
        }
    }

    /// The cluster this principal is confined to, if any.
    public var clusterScope: String? {
        if case .cluster(let name) = self { name } else { nil }
    }
}
