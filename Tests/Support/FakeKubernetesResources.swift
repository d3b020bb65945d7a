/// The resources the fake API server serves, with the semantics that differ between them.
struct FakeResource: Sendable, Hashable {
    var group: String
    var version: String
    var plural: String
    var kind: String
    /// `status` is written only through `/status`: create and update of the object ignore it.
    var hasStatusSubresource: Bool
    /// Built-in types take strategic merge patches; custom resources answer 415.
    var isBuiltIn: Bool
    /// Custom resources refuse an update without `metadata.resourceVersion` (422).
    var requiresResourceVersionOnUpdate: Bool
    /// Nodes are cluster-scoped: a path under `namespaces/` finds nothing (404).
    var isNamespaced = true

    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `pods`, `podeips.alibabacloud.com`: how the API server names the resource in messages.
    var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    static let pods = FakeResource(
        group: "", version: "v1", plural: "pods", kind: "Pod", hasStatusSubresource: true, isBuiltIn: true,
        requiresResourceVersionOnUpdate: false
    )
    static let events = FakeResource(
        group: "", version: "v1", plural: "events", kind: "Event", hasStatusSubresource: false, isBuiltIn: true,
        requiresResourceVersionOnUpdate: false
    )
    static let podEIPs = FakeResource(
        group: "alibabacloud.com", version: "v1beta1", plural: "podeips", kind: "PodEIP", hasStatusSubresource: true,
        isBuiltIn: false, requiresResourceVersionOnUpdate: true
    )
    static let leases = FakeResource(
        group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", hasStatusSubresource: false,
        isBuiltIn: true, requiresResourceVersionOnUpdate: false
    )

    static let nodes = FakeResource(
        group: "", version: "v1", plural: "nodes", kind: "Node", hasStatusSubresource: true, isBuiltIn: true,
        requiresResourceVersionOnUpdate: false, isNamespaced: false
    )

    static let all: [FakeResource] = [pods, events, podEIPs, leases, nodes]

    static func find(group: String, version: String, plural: String) -> FakeResource? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }
}

/// A failure the fake answers with a `Status` object.
struct FakeStatusError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var name: String?
    var resource: FakeResource?

    var json: FakeJSON {
        var details: [String: FakeJSON] = [:]
        if let name { details["name"] = .string(name) }
        if let resource {
            details["kind"] = .string(resource.plural)
            if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        }
        var status: [String: FakeJSON] = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if !details.isEmpty { status["details"] = .object(details) }
        return .object(status)
    }

    static func notFound(_ resource: FakeResource, _ name: String) -> FakeStatusError {
        FakeStatusError(
            code: 404, reason: "NotFound", message: "\(resource.qualifiedName) \"\(name)\" not found", name: name, resource: resource)
    }

    static func conflict(_ resource: FakeResource, _ name: String) -> FakeStatusError {
        FakeStatusError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(resource.qualifiedName) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            name: name, resource: resource
        )
    }

    static func gone(_ message: String) -> FakeStatusError {
        FakeStatusError(code: 410, reason: "Expired", message: message)
    }
}

extension FakeJSON: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}
