/// Which nodes are dead for the agent: gone from the API, or not `Ready` for a whole
/// ``period`` as this agent has watched them. The pods of a dead node get their release
/// strategy applied (see ``DeadNodeSweeper``), because no agent runs there to do it.
///
/// The period is timed on the agent's own clock from when it first saw the node not ready (not
/// on the node's timestamps), so clock skew between machines does not matter; an agent that
/// starts, or takes over, sees a not-ready node for a whole period before calling it dead.
///
/// ```swift
/// var dead = DeadNodes(period: .seconds(300))
/// dead.observe(nodes, at: clock.now())
/// dead.isDead("node-1")   // false for a node seen not ready less than 300 s ago
/// ```
public struct DeadNodes: Sendable {
    /// How long a node stays not ready before it counts as dead.
    public let period: Duration
    private var present: Set<String> = []
    private var notReadySince: [String: Duration] = [:]
    private var now: Duration = .zero

    public init(period: Duration) { self.period = period }

    /// Takes in the nodes as they are at `now` (a value of the agent's elapsed clock).
    public mutating func observe(_ nodes: [Node], at now: Duration) {
        self.now = now
        present = Set(nodes.map(\.metadata.name))
        var since: [String: Duration] = [:]
        for node in nodes where !node.isReady {
            since[node.metadata.name] = notReadySince[node.metadata.name] ?? now
        }
        notReadySince = since
    }

    /// Whether `node` is gone, or has been not ready for at least ``period``.
    public func isDead(_ node: String) -> Bool {
        guard present.contains(node) else { return true }
        guard let since = notReadySince[node] else { return false }
        return now - since >= period
    }
}
