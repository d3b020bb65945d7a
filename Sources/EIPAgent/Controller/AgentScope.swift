/// What part of the cluster one agent looks after.
public enum AgentScope: Sendable, Hashable {
    /// Every pod of the cluster (a Deployment with leader election): the agent sees the complete
    /// set of live pods, so it sends the broker the cluster-wide heartbeat.
    case cluster
    /// The pods of one node (a DaemonSet, field selector `spec.nodeName`). Such an agent never
    /// sends the heartbeat: the broker reads a heartbeat as the complete list of the cluster's
    /// live pods, and would apply the release strategy to every pod of the other nodes. Node
    /// mode relies on watch events and resync (of the PodEIPs labelled with its node) instead.
    case node(String)

    /// The node of node mode; `nil` in cluster scope.
    public var node: String? {
        if case .node(let name) = self { name } else { nil }
    }

    /// The label put on each PodEIP in node mode, naming the node of its pod, so each node's
    /// agent resyncs only its own PodEIPs.
    public static let nodeLabel = "eip-broker.io/node"
}
