import Synchronization

/// One token bucket per throttled action (``ThrottleLimit``); actions without a limit pass.
final class ActionThrottle: Sendable {
    private struct Bucket {
        var limit: ThrottleLimit
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets: Mutex<[String: Bucket]>

    init(limits: [String: ThrottleLimit]) {
        let now = ContinuousClock.now
        buckets = Mutex(limits.mapValues { Bucket(limit: $0, tokens: Double($0.burst), updated: now) })
    }

    /// The limits in force.
    var limits: [String: ThrottleLimit] {
        buckets.withLock { $0.mapValues(\.limit) }
    }

    /// Sets (or with `nil` lifts) the limit of `action`, starting from a full bucket.
    func setLimit(_ limit: ThrottleLimit?, for action: String) {
        buckets.withLock { buckets in
            buckets[action] = limit.map { Bucket(limit: $0, tokens: Double($0.burst), updated: .now) }
        }
    }

    /// Takes a token for `action`: `nil` when the call may go ahead, else how long until the next
    /// token, in milliseconds (at least 1).
    func take(_ action: String) -> Int64? {
        buckets.withLock { buckets in
            guard var bucket = buckets[action] else { return nil }
            let now = ContinuousClock.now
            let rate = Double(bucket.limit.perMinute) / 60
            let elapsed = bucket.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(bucket.limit.burst), bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { buckets[action] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(Int64(((1 - bucket.tokens) / rate * 1000).rounded(.up)), 1)
        }
    }
}
