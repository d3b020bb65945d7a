/// Credentials could not be obtained: the metadata service or STS failed or refused, the token
/// file could not be read, or the configuration is incomplete.
///
/// Messages name what failed and the service's error code, never a secret, a token or a body
/// that could hold one.
public struct AlibabaCredentialError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; an open set of cases, so new ones never break callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A required setting (role ARN, token file, ...) is missing.
        public static let missingConfiguration = Code("MissingConfiguration")
        /// The metadata service or STS could not be reached, timed out, or answered 5xx.
        public static let unavailable = Code("Unavailable")
        /// The service answered with a refusal (4xx, or a `Code` other than `Success`).
        public static let refused = Code("Refused")
        /// The answer could not be understood (not JSON, fields missing, bad expiration).
        public static let invalidResponse = Code("InvalidResponse")
        /// The OIDC token file could not be read or is empty.
        public static let tokenFileUnreadable = Code("TokenFileUnreadable")
    }

    public var code: Code
    public var message: String
    /// The service's own error code (`InvalidParameter.OIDCToken`, ...), when it sent one.
    public var serviceCode: String?
    /// The HTTP status, when the service answered.
    public var httpStatus: Int?

    public init(_ code: Code, _ message: String, serviceCode: String? = nil, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.serviceCode = serviceCode
        self.httpStatus = httpStatus
    }

    /// Whether asking again later may succeed.
    public var isTransient: Bool { code == .unavailable }

    public var description: String {
        var text = "credentials \(code): \(message)"
        if let serviceCode { text += " (\(serviceCode))" }
        if let httpStatus { text += " [HTTP \(httpStatus)]" }
        return text
    }
}
