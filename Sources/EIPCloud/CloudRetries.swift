/// A cloud call that failed and that the provider will try again itself (Alibaba's client
/// retries throttling, 5xx and lost answers with backoff), as reported to whoever made the call.
public struct CloudRetry: Sendable {
    /// The cloud's action (`AssociateEipAddress`, ...).
    public var action: String
    /// The cloud's error in one line: its code, HTTP status and request id.
    public var error: String
    /// Whether the cloud refused the call for its rate (a `Throttling*` code).
    public var throttled: Bool
    /// The attempt that failed, from 1.
    public var attempt: Int
    /// How long until the next attempt.
    public var pause: Duration

    public init(action: String, error: String, throttled: Bool, attempt: Int, pause: Duration) {
        self.action = action
        self.error = error
        self.throttled = throttled
        self.attempt = attempt
        self.pause = pause
    }
}

/// Where a provider reports its own retries, for the task that made the call.
public enum CloudRetries {
    /// Called before each pause of a provider's retries. The reconciler sets it while it runs a
    /// lease's step, to show on the lease why the step is taking long and when the next try is,
    /// so a throttled lease does not look like a stuck one.
    @TaskLocal public static var observer: (@Sendable (CloudRetry) async -> Void)?
}
