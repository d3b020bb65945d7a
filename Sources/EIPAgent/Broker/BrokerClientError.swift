/// A problem the broker answered with (RFC 9457 `application/problem+json`), typed: its `code`
/// (such as `AddressInUse` or `PoolExhausted`), its HTTP status, its `detail`, and how long to
/// wait before retrying (`Retry-After`) where retrying helps.
///
/// ```swift
/// do { _ = try await broker.allocate(fields) }
/// catch let error as BrokerClientError where error.code == .addressInUse { ... }
/// ```
public struct BrokerClientError: Error, Sendable, CustomStringConvertible {
    /// The broker's error code: an open set, so new codes never break callers.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalidArgument = Code(rawValue: "InvalidArgument")
        public static let notFound = Code(rawValue: "NotFound")
        public static let conflict = Code(rawValue: "Conflict")
        public static let poolExhausted = Code(rawValue: "PoolExhausted")
        public static let quotaExceeded = Code(rawValue: "QuotaExceeded")
        public static let bandwidthPackageFull = Code(rawValue: "BandwidthPackageFull")
        public static let addressInUse = Code(rawValue: "AddressInUse")
        public static let unauthenticated = Code(rawValue: "Unauthenticated")
        public static let permissionDenied = Code(rawValue: "PermissionDenied")
        public static let cloudThrottled = Code(rawValue: "CloudThrottled")
        public static let cloudUnavailable = Code(rawValue: "CloudUnavailable")
        public static let cloudRejected = Code(rawValue: "CloudRejected")
        public static let unavailable = Code(rawValue: "Unavailable")
        public static let payloadTooLarge = Code(rawValue: "PayloadTooLarge")
        public static let `internal` = Code(rawValue: "Internal")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The HTTP status of the answer.
    public var httpStatus: Int
    /// The broker's explanation, if any.
    public var detail: String?
    /// The broker's `Retry-After`, if it sent one.
    public var retryAfter: Duration?

    public init(code: Code, httpStatus: Int, detail: String? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.httpStatus = httpStatus
        self.detail = detail
        self.retryAfter = retryAfter
    }

    /// Whether trying again later may succeed (throttling, capacity, an unavailable cloud).
    public var isTransient: Bool {
        retryAfter != nil || httpStatus == 429 || httpStatus >= 500
    }

    public var description: String {
        "broker answered \(httpStatus) \(code)" + (detail.map { ": \($0)" } ?? "")
    }
}
