/// A node (core/v1, cluster-scoped), with what the agent reads of it: its name and whether the
/// kubelet reports it `Ready`.
public struct Node: KubernetesObject, Hashable {
    public static let resource = KubernetesResource(group: "", version: "v1", plural: "nodes", kind: "Node", isNamespaced: false)

    public var metadata: ObjectMeta
    public var status: NodeStatus

    public init(metadata: ObjectMeta, status: NodeStatus = NodeStatus()) {
        self.metadata = metadata
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case metadata, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        status = try c.decodeIfPresent(NodeStatus.self, forKey: .status) ?? NodeStatus()
    }

    /// Whether the node's `Ready` condition is `True`. A node without one (just registered, or
    /// whose kubelet never reported) is not ready.
    public var isReady: Bool {
        status.conditions.first { $0.type == "Ready" }?.status == "True"
    }
}

/// `status` of a node: its conditions.
public struct NodeStatus: Sendable, Hashable, Codable {
    public var conditions: [NodeCondition]

    public init(conditions: [NodeCondition] = []) { self.conditions = conditions }

    enum CodingKeys: String, CodingKey { case conditions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditions = try c.decodeIfPresent([NodeCondition].self, forKey: .conditions) ?? []
    }
}

/// One condition of a node, such as `Ready`: `True`, `False`, or `Unknown` once the node
/// controller has stopped hearing from the kubelet.
public struct NodeCondition: Sendable, Hashable, Codable {
    public var type: String
    public var status: String

    public init(type: String, status: String) {
        self.type = type
        self.status = status
    }
}
