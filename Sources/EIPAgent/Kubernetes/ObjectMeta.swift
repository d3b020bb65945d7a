public import Foundation

/// Standard object metadata (`metav1.ObjectMeta`), the fields the agent reads and writes.
///
/// Empty maps and lists are left out when encoding, and read as empty when absent.
public struct ObjectMeta: Sendable, Hashable, Codable {
    /// Empty only in a create request that uses ``generateName``.
    public var name: String
    /// A prefix from which the server makes a unique name when ``name`` is empty.
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    /// The version for optimistic concurrency: an update carrying a stale one fails with
    /// ``KubernetesAPIError/Code/conflict``.
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Date?
    /// Set when deletion was requested; the object stays until its finalizers are gone.
    public var deletionTimestamp: Date?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]
    public var annotations: [String: String]
    public var finalizers: [String]
    public var ownerReferences: [OwnerReference]

    public init(
        name: String = "", generateName: String? = nil, namespace: String? = nil, uid: String? = nil,
        resourceVersion: String? = nil, generation: Int64? = nil, creationTimestamp: Date? = nil,
        deletionTimestamp: Date? = nil, deletionGracePeriodSeconds: Int64? = nil, labels: [String: String] = [:],
        annotations: [String: String] = [:], finalizers: [String] = [], ownerReferences: [OwnerReference] = []
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.labels = labels
        self.annotations = annotations
        self.finalizers = finalizers
        self.ownerReferences = ownerReferences
    }

    enum CodingKeys: String, CodingKey {
        case name, generateName, namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp
        case deletionGracePeriodSeconds, labels, annotations, finalizers, ownerReferences
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decodeIfPresent(String.self, forKey: .name) ?? "",
            generateName: try c.decodeIfPresent(String.self, forKey: .generateName),
            namespace: try c.decodeIfPresent(String.self, forKey: .namespace),
            uid: try c.decodeIfPresent(String.self, forKey: .uid),
            resourceVersion: try c.decodeIfPresent(String.self, forKey: .resourceVersion),
            generation: try c.decodeIfPresent(Int64.self, forKey: .generation),
            creationTimestamp: try c.decodeKubernetesTime(forKey: .creationTimestamp),
            deletionTimestamp: try c.decodeKubernetesTime(forKey: .deletionTimestamp),
            deletionGracePeriodSeconds: try c.decodeIfPresent(Int64.self, forKey: .deletionGracePeriodSeconds),
            labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:],
            annotations: try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:],
            finalizers: try c.decodeIfPresent([String].self, forKey: .finalizers) ?? [],
            ownerReferences: try c.decodeIfPresent([OwnerReference].self, forKey: .ownerReferences) ?? []
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !name.isEmpty { try c.encode(name, forKey: .name) }
        try c.encodeIfPresent(generateName, forKey: .generateName)
        try c.encodeIfPresent(namespace, forKey: .namespace)
        try c.encodeIfPresent(uid, forKey: .uid)
        try c.encodeIfPresent(resourceVersion, forKey: .resourceVersion)
        try c.encodeIfPresent(generation, forKey: .generation)
        try c.encodeKubernetesTime(creationTimestamp, forKey: .creationTimestamp)
        try c.encodeKubernetesTime(deletionTimestamp, forKey: .deletionTimestamp)
        try c.encodeIfPresent(deletionGracePeriodSeconds, forKey: .deletionGracePeriodSeconds)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        if !annotations.isEmpty { try c.encode(annotations, forKey: .annotations) }
        if !finalizers.isEmpty { try c.encode(finalizers, forKey: .finalizers) }
        if !ownerReferences.isEmpty { try c.encode(ownerReferences, forKey: .ownerReferences) }
    }
}

/// An owner of an object (`metav1.OwnerReference`), such as the StatefulSet of a pod.
public struct OwnerReference: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}
