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
