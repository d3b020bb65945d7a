/// A per-action rate limit of the emulator, as Alibaba's per-API flow control: a token bucket
/// that refills at `perMinute / 60` tokens a second and holds at most `burst` tokens.
///
/// ```swift
/// let limit = ThrottleLimit(perMinute: 120)          // burst 2: a second's worth
/// let parsed = ThrottleLimit.parse("AllocateEipAddress=120:10")
/// ```
public struct ThrottleLimit: Sendable, Hashable, Codable {
    /// Calls allowed per minute, sustained.
    public var perMinute: Int
    /// Calls allowed back to back from a full bucket.
    public var burst: Int

    /// - Parameters:
    ///   - perMinute: the sustained rate (at least 1).
    ///   - burst: the bucket's size; by default one second's worth of calls, at least 1.
    public init(perMinute: Int, burst: Int? = nil) {
        self.perMinute = max(perMinute, 1)
        self.burst = max(burst ?? (self.perMinute + 59) / 60, 1)
    }

    /// Parses `ACTION=N` or `ACTION=N:BURST` (the `--throttle-per-minute` syntax); `nil` when
    /// malformed.
    public static func parse(_ text: String) -> (action: String, limit: ThrottleLimit)? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        let numbers = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let perMinute = Int(numbers[0]), perMinute >= 1 else { return nil }
        var burst: Int?
        if numbers.count == 2 {
            guard let value = Int(numbers[1]), value >= 1 else { return nil }
            burst = value
        }
        return (String(parts[0]), ThrottleLimit(perMinute: perMinute, burst: burst))
    }
}
