/// Where a kind of object lives in the API: its group, version, plural resource name and kind,
/// and whether it is namespaced. It builds the REST paths.
///
/// ```swift
/// Pod.resource.path(namespace: "default", name: "web-0", subresource: "status")
/// // /api/v1/namespaces/default/pods/web-0/status
/// ```
public struct KubernetesResource: Sendable, Hashable {
    /// The API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// The resource name in URLs, such as `pods` or `podeips`.
    public var plural: String
    /// The `kind` of one object, such as `Pod`.
    public var kind: String
    public var isNamespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, isNamespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.isNamespaced = isNamespaced
    }

    /// `apiVersion` of the objects: `v1` for the core group, else `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The path of the collection (`name == nil`) or of one object, and optionally one of its
    /// subresources. `namespace == nil` addresses every namespace (for lists and watches).
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if isNamespaced, let namespace {
            path += "/namespaces/" + PercentEncoding.pathSegment(namespace)
        }
        path += "/" + plural
        if let name {
            path += "/" + PercentEncoding.pathSegment(name)
            if let subresource { path += "/" + subresource }
        }
        return path
    }
}
