/// Timeouts and limits of ``KubernetesClient``.
public struct KubernetesClientOptions: Sendable, Hashable {
    /// Connecting, sending and receiving the answer's head of one request; lists and watches included.
    public var requestTimeout: Duration
    /// Establishing a connection (TCP and TLS).
    public var connectTimeout: Duration
    /// The server-side length of a watch (`timeoutSeconds`), drawn at random from this range for
    /// each watch so that many agents do not re-watch at once. The connection's idle read
    /// timeout is set 30 seconds beyond its upper bound.
    public var watchTimeoutSeconds: ClosedRange<Int>
    /// The largest answer body read in full (a list page, an object).
    public var maximumResponseBytes: Int
    /// The largest single watch event.
    public var maximumWatchEventBytes: Int
    /// The `User-Agent` header.
    public var userAgent: String

    public init(
        requestTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10),
        watchTimeoutSeconds: ClosedRange<Int> = 240...300, maximumResponseBytes: Int = 64 << 20,
        maximumWatchEventBytes: Int = 16 << 20, userAgent: String = "eip-agent"
    ) {
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.maximumResponseBytes = maximumResponseBytes
        self.maximumWatchEventBytes = maximumWatchEventBytes
        self.userAgent = userAgent
    }
}
