/// Exponential backoff with jitter and a ceiling: how long to wait before the next attempt.
///
/// ```swift
/// var backoff = RetryBackoff(initial: .milliseconds(500), maximum: .seconds(30))
/// try await Task.sleep(for: backoff.next())   // ~0.5 s, then ~1 s, ~2 s, ... at most ~30 s
/// backoff.reset()                             // after a success
/// ```
public struct RetryBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// Each delay is scaled by a random factor in `1 - jitter ... 1 + jitter`.
    public var jitter: Double
    private var current: Duration?

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(0, jitter), 1)
    }

    /// The delay before the next attempt; each call grows it until ``maximum``.
    public mutating func next() -> Duration {
        let base = current.map { min($0 * multiplier, maximum) } ?? min(initial, maximum)
        current = base
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter)) : 1
        return base * factor
    }

    /// Starts again from ``initial``.
    public mutating func reset() {
        current = nil
    }
}
