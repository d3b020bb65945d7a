/// How a provider waits for an asynchronous change (association, unassociation, joining or
/// leaving a bandwidth package, tags becoming visible) to settle: it looks (Alibaba: polls
/// `DescribeEipAddresses`), first at once, then after ``initialDelay``, doubling up to
/// ``maximumDelay``, and gives up with `CloudError(.unavailable, code: "OperationTimeout")`
/// after ``timeout``.
public struct SettlePolicy: Sendable, Hashable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var timeout: Duration

    public init(initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(2), timeout: Duration = .seconds(60)) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.timeout = timeout
    }

    /// What one look at the resource found.
    public enum Verdict<Value: Sendable>: Sendable {
        case settled(Value)
        case pending
    }

    /// Calls `look` until it reports `.settled` (returning its value) or throws, pausing with
    /// bounded exponential backoff between looks.
    public func wait<Value: Sendable>(for what: @autoclosure () -> String, _ look: () async throws -> Verdict<Value>) async throws -> Value
    {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = initialDelay
        while true {
            if case .settled(let value) = try await look() { return value }
            let now = clock.now
            guard now < deadline else {
                throw CloudError(.unavailable, code: "OperationTimeout", message: "\(what()) did not happen within \(timeout).")
            }
            try await Task.sleep(for: min(pause, deadline - now))
            pause = min(pause * 2, maximumDelay)
        }
    }
}
