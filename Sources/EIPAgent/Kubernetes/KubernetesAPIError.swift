/// The API server refused a request or sent something the client cannot read, with the decoded
/// `Status` when there was one.
///
/// ``code`` classifies the failure; the two a controller must handle apart are
/// ``Code/gone`` (the resource version is too old: list again) and ``Code/conflict`` (the object
/// changed since it was read: read it again and retry).
///
/// ```swift
/// do {
///     _ = try await client.update(podEIP)
/// } catch let error as KubernetesAPIError where error.code == .conflict {
///     // fetch the latest PodEIP and apply the change again
/// }
/// ```
///
/// Neither the message nor the description ever contains the bearer token: they come from the
/// server's answer, which does not echo request headers.
public struct KubernetesAPIError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added: match the ones you handle.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, alreadyExists, conflict, gone
            case unsupportedMediaType, invalid, tooManyRequests, internalError, serviceUnavailable, timeout
            case unexpectedStatus, invalidResponse
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// 400.
        public static let badRequest = Code(.badRequest)
        /// 401: the token is missing, wrong or expired.
        public static let unauthorized = Code(.unauthorized)
        /// 403: RBAC does not allow the request.
        public static let forbidden = Code(.forbidden)
        /// 404.
        public static let notFound = Code(.notFound)
        /// 405.
        public static let methodNotAllowed = Code(.methodNotAllowed)
        /// 409 with reason `AlreadyExists`: a create found the name taken.
        public static let alreadyExists = Code(.alreadyExists)
        /// 409 otherwise: the resource version in an update or patch is stale.
        public static let conflict = Code(.conflict)
        /// 410, or a watch `ERROR` event with code 410: the requested resource version (or
        /// continue token) is too old. List again.
        public static let gone = Code(.gone)
        /// 415: for example a strategic merge patch of a custom resource.
        public static let unsupportedMediaType = Code(.unsupportedMediaType)
        /// 422: the object failed validation.
        public static let invalid = Code(.invalid)
        /// 429: throttled; see ``KubernetesAPIError/retryAfter``.
        public static let tooManyRequests = Code(.tooManyRequests)
        /// 500.
        public static let internalError = Code(.internalError)
        /// 503.
        public static let serviceUnavailable = Code(.serviceUnavailable)
        /// 504 (or a server-side timeout).
        public static let timeout = Code(.timeout)
        /// Any other status that is not a success.
        public static let unexpectedStatus = Code(.unexpectedStatus)
        /// A success whose body could not be decoded, or a malformed watch event.
        public static let invalidResponse = Code(.invalidResponse)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The HTTP status of the answer (for a watch `ERROR` event, the code of its `Status`).
    public var httpStatus: Int
    /// The decoded `Status`, when the body was one.
    public var status: KubernetesStatus?
    /// The server's message, or a short excerpt of a body that was not a `Status`.
    public var message: String
    /// How long the server asked the client to wait (`Retry-After`), if it did.
    public var retryAfter: Duration?

    public init(code: Code, httpStatus: Int, status: KubernetesStatus? = nil, message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.httpStatus = httpStatus
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The error of a non-success answer: `status` is its decoded body, if it was a `Status`.
    init(httpStatus: Int, status: KubernetesStatus?, bodyExcerpt: String, retryAfter: Duration? = nil) {
        self.init(
            code: Self.classify(httpStatus: httpStatus, reason: status?.reason), httpStatus: httpStatus, status: status,
            message: status?.message ?? bodyExcerpt, retryAfter: retryAfter
        )
    }

    /// The `reason` of the server's `Status`, such as `Conflict` or `Expired`.
    public var reason: String? { status?.reason }

    /// Whether the same request may succeed later without any change: throttling, timeouts and
    /// server-side failures.
    public var isTransient: Bool {
        [.tooManyRequests, .internalError, .serviceUnavailable, .timeout].contains(code)
    }

    public var description: String {
        var text = "Kubernetes API error \(code) (HTTP \(httpStatus)"
        if let reason { text += ", \(reason)" }
        return text + "): \(message)"
    }

    static func classify(httpStatus: Int, reason: String?) -> Code {
        switch httpStatus {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 409: return reason == "AlreadyExists" ? .alreadyExists : .conflict
        case 410: return .gone
        case 415: return .unsupportedMediaType
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 500: return .internalError
        case 503: return .serviceUnavailable
        case 504: return .timeout
        default: return .unexpectedStatus
        }
    }

    static func invalidResponse(httpStatus: Int, _ message: String) -> KubernetesAPIError {
        KubernetesAPIError(code: .invalidResponse, httpStatus: httpStatus, message: message)
    }
}
