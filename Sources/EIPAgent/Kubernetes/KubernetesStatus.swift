/// The API server's `Status` object (`metav1.Status`): the body of every failed request and the
/// object of a watch `ERROR` event.
public struct KubernetesStatus: Sendable, Hashable, Codable {
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// A machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Expired`, `Gone`,
    /// `Invalid`, `Forbidden`, `Unauthorized`, `TooManyRequests`, ...
    public var reason: String?
    /// The HTTP status code the failure corresponds to.
    public var code: Int?
    public var details: Details?

    public init(status: String? = nil, message: String? = nil, reason: String? = nil, code: Int? = nil, details: Details? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
        self.details = details
    }

    /// Which object the status is about, and why a request was invalid.
    public struct Details: Sendable, Hashable, Codable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?

        public init(
            name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil, causes: [Cause]? = nil,
            retryAfterSeconds: Int? = nil
        ) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// One reason a request was invalid, such as a field that failed validation.
    public struct Cause: Sendable, Hashable, Codable {
        public var reason: String?
        public var message: String?
        public var field: String?

        public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }
}
