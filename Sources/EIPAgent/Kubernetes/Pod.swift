public import Foundation

/// A pod (core/v1), with the fields the agent reads: metadata, node and readiness gates, and the
/// pod's IPs, phase and conditions.
///
/// Fields not modelled here are dropped on decoding, so the agent never writes a whole pod back
/// (no PUT): it changes pods only with patches (``KubernetesClient/patchMetadata(_:namespace:name:_:)``,
/// ``KubernetesClient/patchPodConditions(namespace:name:_:)``).
public struct Pod: KubernetesObject, Hashable {
    public static let resource = KubernetesResource(group: "", version: "v1", plural: "pods", kind: "Pod")

    public var metadata: ObjectMeta
    public var spec: PodSpec
    public var status: PodStatus

    public init(metadata: ObjectMeta, spec: PodSpec = PodSpec(), status: PodStatus = PodStatus()) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(PodSpec.self, forKey: .spec) ?? PodSpec()
        status = try c.decodeIfPresent(PodStatus.self, forKey: .status) ?? PodStatus()
    }

    /// Whether the pod lists the readiness gate of condition `type` in its spec.
    public func hasReadinessGate(_ type: String) -> Bool {
        spec.readinessGates.contains { $0.conditionType == type }
    }

    /// The condition of `type` in the pod's status, if there is one.
    public func condition(_ type: String) -> PodCondition? {
        status.conditions.first { $0.type == type }
    }

    /// Whether deletion of the pod was requested (it may still be running its grace period).
    public var isTerminating: Bool { metadata.deletionTimestamp != nil }

    /// Whether the pod has exited: it has finished for good (``PodStatus/isTerminal``), or its
    /// deletion was requested and every one of its containers has terminated. A pod in its grace
    /// period (running `preStop`, draining) has not exited.
    public var hasExited: Bool {
        status.isTerminal
            || (isTerminating && !status.containerStatuses.isEmpty && status.containerStatuses.allSatisfy { $0.state.terminated != nil })
    }

    /// The object that controls the pod (the owner reference marked `controller`), if any, such
    /// as its StatefulSet or ReplicaSet.
    public var controller: OwnerReference? {
        metadata.ownerReferences.first { $0.controller == true }
    }
}

/// The part of a pod's spec the agent reads.
public struct PodSpec: Sendable, Hashable, Codable {
    /// The node the pod is scheduled to; `nil` while pending scheduling.
    public var nodeName: String?
    /// Conditions that must be `True` too before the pod counts as ready.
    public var readinessGates: [PodReadinessGate]
    /// A host-network pod has the node's IP, not one of its own.
    public var hostNetwork: Bool?

    public init(nodeName: String? = nil, readinessGates: [PodReadinessGate] = [], hostNetwork: Bool? = nil) {
        self.nodeName = nodeName
        self.readinessGates = readinessGates
        self.hostNetwork = hostNetwork
    }

    enum CodingKeys: String, CodingKey { case nodeName, readinessGates, hostNetwork }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName)
        readinessGates = try c.decodeIfPresent([PodReadinessGate].self, forKey: .readinessGates) ?? []
        hostNetwork = try c.decodeIfPresent(Bool.self, forKey: .hostNetwork)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(nodeName, forKey: .nodeName)
        if !readinessGates.isEmpty { try c.encode(readinessGates, forKey: .readinessGates) }
        try c.encodeIfPresent(hostNetwork, forKey: .hostNetwork)
    }
}

/// A readiness gate: the pod is ready only when its condition of this type is `True`.
public struct PodReadinessGate: Sendable, Hashable, Codable {
    public var conditionType: String

    public init(conditionType: String) { self.conditionType = conditionType }
}

/// The part of a pod's status the agent reads.
public struct PodStatus: Sendable, Hashable, Codable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    /// The pod's primary IP, once the network plugin has given it one.
    public var podIP: String?
    /// All of the pod's IPs (dual stack), the first equal to ``podIP``.
    public var podIPs: [PodIP]
    public var hostIP: String?
    public var conditions: [PodCondition]
    /// The state of each of the pod's (regular) containers.
    public var containerStatuses: [ContainerStatus]

    public init(
        phase: String? = nil, podIP: String? = nil, podIPs: [PodIP] = [], hostIP: String? = nil, conditions: [PodCondition] = [],
        containerStatuses: [ContainerStatus] = []
    ) {
        self.phase = phase
        self.podIP = podIP
        self.podIPs = podIPs
        self.hostIP = hostIP
        self.conditions = conditions
        self.containerStatuses = containerStatuses
    }

    /// Whether the pod has finished for good (`Succeeded` or `Failed`): its IP may be reused.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }

    enum CodingKeys: String, CodingKey { case phase, podIP, podIPs, hostIP, conditions, containerStatuses }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        phase = try c.decodeIfPresent(String.self, forKey: .phase)
        podIP = try c.decodeIfPresent(String.self, forKey: .podIP)
        podIPs = try c.decodeIfPresent([PodIP].self, forKey: .podIPs) ?? []
        hostIP = try c.decodeIfPresent(String.self, forKey: .hostIP)
        conditions = try c.decodeIfPresent([PodCondition].self, forKey: .conditions) ?? []
        containerStatuses = try c.decodeIfPresent([ContainerStatus].self, forKey: .containerStatuses) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(phase, forKey: .phase)
        try c.encodeIfPresent(podIP, forKey: .podIP)
        if !podIPs.isEmpty { try c.encode(podIPs, forKey: .podIPs) }
        try c.encodeIfPresent(hostIP, forKey: .hostIP)
        if !conditions.isEmpty { try c.encode(conditions, forKey: .conditions) }
        if !containerStatuses.isEmpty { try c.encode(containerStatuses, forKey: .containerStatuses) }
    }
}

/// One IP of a pod.
public struct PodIP: Sendable, Hashable, Codable {
    public var ip: String

    public init(ip: String) { self.ip = ip }
}

/// A pod condition, such as `Ready` or the agent's `k8s.aliyun.com/eip`.
public struct PodCondition: Sendable, Hashable, Codable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastProbeTime: Date?
    /// When ``status`` last changed; keep it when writing the same status again.
    public var lastTransitionTime: Date?

    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil, lastProbeTime: Date? = nil,
        lastTransitionTime: Date? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
    }

    enum CodingKeys: String, CodingKey { case type, status, reason, message, lastProbeTime, lastTransitionTime }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "Unknown"
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        lastProbeTime = try c.decodeKubernetesTime(forKey: .lastProbeTime)
        lastTransitionTime = try c.decodeKubernetesTime(forKey: .lastTransitionTime)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeKubernetesTime(lastProbeTime, forKey: .lastProbeTime)
        try c.encodeKubernetesTime(lastTransitionTime, forKey: .lastTransitionTime)
    }
}
