import Synchronization

/// What the emulator counted: API requests and throttled refusals per action, error answers
/// per code, and credentials issued (metadata service and STS). Read in-process through
/// ``CloudEmulator/stats`` or as JSON at `GET /_emulator/stats`.
public final class EmulatorStats: Sendable {
    /// The counts at one moment, in their JSON form.
    public struct Snapshot: Sendable, Hashable, Codable {
        /// API requests per action, every one that named a known action (refused ones too).
        public var requests: [String: Int]
        /// Requests per action refused with `Throttling.User`.
        public var throttled: [String: Int]
        /// Error answers per error code.
        public var errors: [String: Int]
        /// STS credentials issued, by the metadata service and `AssumeRoleWithOIDC`.
        public var issuedCredentials: Int
        /// Metadata session tokens issued (`PUT /latest/api/token`).
        public var metadataTokens: Int

        public init(
            requests: [String: Int] = [:], throttled: [String: Int] = [:], errors: [String: Int] = [:], issuedCredentials: Int = 0,
            metadataTokens: Int = 0
        ) {
            self.requests = requests
            self.throttled = throttled
            self.errors = errors
            self.issuedCredentials = issuedCredentials
            self.metadataTokens = metadataTokens
        }
    }

    private let counts = Mutex(Snapshot())

    public init() {}

    /// The counts now.
    public var snapshot: Snapshot { counts.withLock { $0 } }

    /// API requests of `action` so far.
    public func requests(of action: String) -> Int { counts.withLock { $0.requests[action, default: 0] } }

    /// Throttled refusals of `action` so far.
    public func throttled(of action: String) -> Int { counts.withLock { $0.throttled[action, default: 0] } }

    /// Error answers with `code` so far.
    public func errors(withCode code: String) -> Int { counts.withLock { $0.errors[code, default: 0] } }

    /// STS credentials issued so far.
    public var issuedCredentials: Int { counts.withLock { $0.issuedCredentials } }

    /// Sets every count back to zero.
    public func reset() { counts.withLock { $0 = Snapshot() } }

    func countRequest(_ action: String) { counts.withLock { $0.requests[action, default: 0] += 1 } }
    func countThrottled(_ action: String) { counts.withLock { $0.throttled[action, default: 0] += 1 } }
    func countError(_ code: String) { counts.withLock { $0.errors[code, default: 0] += 1 } }
    func countIssuedCredential() { counts.withLock { $0.issuedCredentials += 1 } }
    func countMetadataToken() { counts.withLock { $0.metadataTokens += 1 } }
}
