/// The conditions of a delete: the object must still have this uid and/or resource version.
public struct DeletePreconditions: Sendable, Hashable, Codable {
    public var uid: String?
    public var resourceVersion: String?

    public init(uid: String? = nil, resourceVersion: String? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

/// The body of a DELETE (`metav1.DeleteOptions`).
struct DeleteOptions: Encodable {
    var apiVersion = "v1"
    var kind = "DeleteOptions"
    var preconditions: DeletePreconditions?
    var propagationPolicy: String?
}
