/// A JSON merge patch of an object's metadata: set or remove annotations and labels, replace
/// the finalizers, and optionally require the object's current resource version.
///
/// ```swift
/// var patch = MetadataPatch()
/// patch.annotations[PodAnnotation.allocatedAddress] = "39.102.0.7"   // set
/// patch.annotations["example.com/stale"] = .some(nil)                 // remove
/// let pod = try await client.patchMetadata(Pod.self, namespace: "default", name: "web-0", patch)
/// ```
///
/// A merge patch replaces lists whole, so ``finalizers`` is the complete new list; pair it with
/// ``resourceVersion`` (the version the list was read at) so a concurrent change fails with
/// ``KubernetesAPIError/Code/conflict`` instead of being overwritten.
public struct MetadataPatch: Sendable, Hashable, Encodable {
    /// Annotation values to set; a `nil` value removes the annotation.
    public var annotations: [String: String?]
    /// Label values to set; a `nil` value removes the label.
    public var labels: [String: String?]
    /// The complete new list of finalizers, or `nil` to leave them alone.
    public var finalizers: [String]?
    /// When set, the server applies the patch only if the object still has this version.
    public var resourceVersion: String?

    public init(
        annotations: [String: String?] = [:], labels: [String: String?] = [:], finalizers: [String]? = nil,
        resourceVersion: String? = nil
    ) {
        self.annotations = annotations
        self.labels = labels
        self.finalizers = finalizers
        self.resourceVersion = resourceVersion
    }

    private enum OuterKeys: String, CodingKey { case metadata }
    private enum Keys: String, CodingKey { case annotations, labels, finalizers, resourceVersion }

    public func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: OuterKeys.self)
        var c = outer.nestedContainer(keyedBy: Keys.self, forKey: .metadata)
        if !annotations.isEmpty { try c.encode(NullableMap(values: annotations), forKey: .annotations) }
        if !labels.isEmpty { try c.encode(NullableMap(values: labels), forKey: .labels) }
        if let finalizers { try c.encode(finalizers, forKey: .finalizers) }
        try c.encodeIfPresent(resourceVersion, forKey: .resourceVersion)
    }
}

/// A string map whose `nil` values are written as JSON `null` (a merge patch's "delete").
struct NullableMap: Encodable {
    var values: [String: String?]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            if let value {
                try c.encode(value, forKey: Key(stringValue: key))
            } else {
                try c.encodeNil(forKey: Key(stringValue: key))
            }
        }
    }
}
