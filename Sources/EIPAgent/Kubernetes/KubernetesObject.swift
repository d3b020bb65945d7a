/// An object of the Kubernetes API that the client can read and write: it knows its resource
/// and has standard object metadata.
///
/// The models decode only the fields the agent needs. `apiVersion` and `kind` are not stored:
/// the client writes them from ``resource`` into every request body.
public protocol KubernetesObject: Codable, Sendable {
    /// The group, version, plural and kind of this type.
    static var resource: KubernetesResource { get }
    var metadata: ObjectMeta { get set }
}

extension KubernetesObject {
    /// `namespace/name`, the key the informer's cache uses.
    public var key: ObjectKey { ObjectKey(namespace: metadata.namespace ?? "", name: metadata.name) }
}

/// The identity of a namespaced object within one resource: `namespace/name` (just `name` for
/// cluster-scoped objects, whose namespace is empty).
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// The JSON of a request body: the object with `apiVersion` and `kind` of its resource.
struct RequestBody<Object: KubernetesObject>: Encodable {
    var object: Object

    private enum TypeKeys: String, CodingKey { case apiVersion, kind }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKeys.self)
        try container.encode(Object.resource.apiVersion, forKey: .apiVersion)
        try container.encode(Object.resource.kind, forKey: .kind)
        try object.encode(to: encoder)
    }
}
