import EIPCore

/// Paces calls with a token bucket per (account, region, action), as ``AlibabaRateLimits``
/// configures; callers wait for their turn, in order of arrival.
///
/// A wait is bounded (``AlibabaRateLimits/maximumWait``) and cancellable. Share one limiter
/// between everything that calls the same account, so the pace holds across them; each broker
/// replica has its own, so divide the quotas among replicas when several run.
///
/// ```swift
/// let limiter = AlibabaRateLimiter(limits: AlibabaRateLimits())
/// try await limiter.acquire(account: "prod", region: "cn-hangzhou", action: "AllocateEipAddress")
/// ```
public actor AlibabaRateLimiter {
    /// What one bucket paces.
    public struct Key: Sendable, Hashable {
        public var account: String
        public var region: String
        public var action: String

        public init(account: String, region: String, action: String) {
            self.account = account
            self.region = region
            self.action = action
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public nonisolated let limits: AlibabaRateLimits
    private let clock = ContinuousClock()
    private var buckets: [Key: Bucket] = [:]
    private var waits: [Key: Int] = [:]

    public init(limits: AlibabaRateLimits = AlibabaRateLimits()) {
        self.limits = limits
    }

    /// Waits until a call of `action` may go.
    /// - Throws: `CloudError(.throttled, code: "Throttling.Local")` when the wait would exceed
    ///   the limit's maximum; `CancellationError` when the task is cancelled while waiting.
    public func acquire(account: String, region: String, action: String) async throws {
        let key = Key(account: account, region: region, action: action)
        let rate = limits.rate(for: action)
        let perSecond = rate.perMinute / 60
        let now = clock.now
        var bucket = buckets[key] ?? Bucket(tokens: Double(rate.burst), updated: now)
        bucket.tokens = min(Double(rate.burst), bucket.tokens + (now - bucket.updated).timeInterval * perSecond)
        bucket.updated = now
        // Take the token now (the balance may go negative: a queue of reservations).
        bucket.tokens -= 1
        guard bucket.tokens < 0 else {
            buckets[key] = bucket
            return
        }
        let wait = Duration.seconds(-bucket.tokens / perSecond)
        guard wait <= limits.maximumWait else {
            buckets[key] = Bucket(tokens: bucket.tokens + 1, updated: now)
            throw CloudError(
                .throttled, code: "Throttling.Local",
                message:
                    "\(action) is paced at \(rate.perMinute) calls per minute in \(region) and its queue is longer than \(limits.maximumWait)",
                retryAfterMilliseconds: wait.wholeMilliseconds
            )
        }
        buckets[key] = bucket
        waits[key, default: 0] += 1
        do {
            try await Task.sleep(until: now + wait, clock: clock)
        } catch {
            // Give the reservation back to those behind.
            if var current = buckets[key] {
                current.tokens = min(Double(rate.burst), current.tokens + 1)
                buckets[key] = current
            }
            throw error
        }
    }

    /// How many calls had to wait for their turn, per key (for tests and metrics).
    public var waitCounts: [Key: Int] { waits }
}
