/// An error the broker reports to its callers, with a stable code and a message that names the
/// offending field and the rule it broke.
///
/// Codes are an open set, as in swift-nio's error structs: new ones never break callers.
public struct BrokerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable, machine-readable code of an error (`PoolExhausted`, `QuotaExceeded`, ...).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// A field breaks a rule of its own, one the API's schema states (`400`).
        public static let invalidArgument = Code("InvalidArgument")
        /// Every field fits the schema, but not together, not for this caller, or not with what
        /// the broker holds: `warm.max` above `maxSize`, an account that is not configured, an
        /// admin call that names no cluster (`422`).
        public static let unprocessable = Code("Unprocessable")
        public static let notFound = Code("NotFound")
        public static let conflict = Code("Conflict")
        public static let poolExhausted = Code("PoolExhausted")
        public static let quotaExceeded = Code("QuotaExceeded")
        public static let bandwidthPackageFull = Code("BandwidthPackageFull")
        public static let addressInUse = Code("AddressInUse")
        public static let unauthenticated = Code("Unauthenticated")
        public static let permissionDenied = Code("PermissionDenied")
        public static let cloudThrottled = Code("CloudThrottled")
        public static let cloudUnavailable = Code("CloudUnavailable")
        /// The cloud provider refused the call for good: parameters it does not accept there, or
        /// a permission the broker's account lacks; the detail carries the cloud's code (`422`).
        public static let cloudRejected = Code("CloudRejected")
        public static let unavailable = Code("Unavailable")
        public static let payloadTooLarge = Code("PayloadTooLarge")
        /// The path exists but does not serve the request's method (the answer's `Allow` lists those it does).
        public static let methodNotAllowed = Code("MethodNotAllowed")
        /// The caller sends requests faster than its rate: slow down (`Retry-After`).
        public static let rateLimited = Code("RateLimited")
        public static let internalError = Code("Internal")

        /// The HTTP status this code is answered with.
        public var httpStatus: Int {
            switch self {
            case .invalidArgument: 400
            case .unprocessable, .cloudRejected: 422
            case .unauthenticated: 401
            case .permissionDenied: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .conflict, .addressInUse: 409
            case .payloadTooLarge: 413
            // Capacity is a resource running out, as gRPC's RESOURCE_EXHAUSTED: 429 with Retry-After.
            case .poolExhausted, .quotaExceeded, .bandwidthPackageFull, .cloudThrottled, .rateLimited: 429
            case .cloudUnavailable: 503
            case .unavailable: 503
            default: 500
            }
        }
    }

    /// One field that failed validation and the rule it broke.
    public struct FieldViolation: Sendable, Equatable {
        public var field: String
        public var rule: String
        /// Whether the value is fine on its own and breaks the rule only with other fields, the
        /// caller or stored state (no schema can state such a rule).
        public var isContextual: Bool
        public init(field: String, rule: String, isContextual: Bool = false) {
            self.field = field
            self.rule = rule
            self.isContextual = isContextual
        }
    }

    public var code: Code
    public var message: String
    public var fieldViolations: [FieldViolation]
    /// Seconds after which a retry may succeed, sent as `Retry-After`.
    public var retryAfter: Int?

    public init(_ code: Code, _ message: String, fieldViolations: [FieldViolation] = [], retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.fieldViolations = fieldViolations
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    /// A validation error for one field: `field: rule`.
    public static func invalid(_ field: String, _ rule: String) -> BrokerError {
        BrokerError(.invalidArgument, "\(field): \(rule)", fieldViolations: [.init(field: field, rule: rule)])
    }

    /// A value that fits the schema but not with the rest of the request, the caller or what is
    /// stored: `field: rule`, answered `422`.
    public static func unprocessable(_ field: String, _ rule: String) -> BrokerError {
        BrokerError(.unprocessable, "\(field): \(rule)", fieldViolations: [.init(field: field, rule: rule, isContextual: true)])
    }

    /// A validation error gathering every violation found in one request: `Unprocessable` when
    /// all of them are contextual, else `InvalidArgument`.
    public static func invalid(_ violations: [FieldViolation]) -> BrokerError {
        let message = violations.map { "\($0.field): \($0.rule)" }.joined(separator: "; ")
        return BrokerError(violations.allSatisfy(\.isContextual) ? .unprocessable : .invalidArgument, message, fieldViolations: violations)
    }

    public static func notFound(_ what: String, _ id: String) -> BrokerError {
        BrokerError(.notFound, "\(what) '\(id)' does not exist")
    }
}
