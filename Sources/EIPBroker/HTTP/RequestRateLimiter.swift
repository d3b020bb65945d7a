import EIPCore
import Foundation
import Synchronization

/// A token bucket per caller: a cluster (by its id), the admin, or, for requests without a valid
/// token, the source address. A caller over its rate is answered `429` with `Retry-After`, so
/// one cluster looping on the API cannot starve the others.
///
/// Refusals are paced too: a caller's refusals are answered one per `1/rate` seconds (each held
/// until the one before it has gone, at most ``maximumHold``), so a client that ignores
/// `Retry-After` and retries at once gets through no more often than its rate, plus one refusal
/// per connection per ``maximumHold`` once its refusals back up: its flood costs the other
/// callers little CPU however fast it loops. The bucket itself is never put in debt, so callers
/// that share a token and retry after `Retry-After` all make progress. At most ``maximumHeld``
/// answers are held at once; beyond that a refusal is answered at once.
///
/// Buckets live in memory, per replica. Their number is bounded: when ``maximumCallers`` are
/// tracked, buckets that have refilled (callers that went quiet) are dropped first, then the
/// oldest, so a flood of source addresses costs bounded memory.
final class RequestRateLimiter: Sendable {
    /// What one request gets from its caller's bucket.
    enum Decision: Equatable, Sendable {
        case admitted
        /// Refused: answered after `hold`, telling the caller to retry after `retryAfter` seconds.
        case refused(hold: Duration, retryAfter: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
        /// When the caller's next refusal may be answered.
        var nextRefusal: ContinuousClock.Instant
    }

    let rate: RequestRate
    let maximumCallers: Int
    let maximumHold: Duration
    let maximumHeld: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    private let held = Atomic<Int>(0)

    init(rate: RequestRate, maximumCallers: Int = 50_000, maximumHold: Duration = .seconds(1), maximumHeld: Int = 4096) {
        self.rate = rate
        self.maximumCallers = max(maximumCallers, 1)
        self.maximumHold = max(maximumHold, .zero)
        self.maximumHeld = max(maximumHeld, 0)
    }

    /// Takes one request from `caller`'s bucket, waiting out a refusal's hold before throwing.
    /// - Throws: `BrokerError` `RateLimited` (429) with `Retry-After` when the bucket is empty.
    func admit(_ caller: String, what: @autoclosure () -> String) async throws(BrokerError) {
        guard case .refused(let hold, let retryAfter) = decide(caller, at: .now) else { return }
        if hold > .zero {
            if held.wrappingAdd(1, ordering: .relaxed).newValue <= maximumHeld {
                try? await Task.sleep(for: hold)
            }
            held.wrappingSubtract(1, ordering: .relaxed)
        }
        throw BrokerError(
            .rateLimited,
            "\(what()) is over its rate of \(Self.format(rate.perSecond)) requests per second (burst \(rate.burst)): slow down",
            retryAfter: retryAfter
        )
    }

    /// Takes one request from `caller`'s bucket at `now`: admitted, or refused with how long to
    /// hold the answer and the `Retry-After` to send.
    func decide(_ caller: String, at now: ContinuousClock.Instant) -> Decision {
        guard rate.perSecond > 0, rate.burst > 0 else { return .admitted }
        let interval = Duration.nanoseconds(Int64((1e9 / rate.perSecond).rounded()))
        return buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: Double(rate.burst), updated: now, nextRefusal: now)
            bucket.tokens = min(Double(rate.burst), bucket.tokens + max(0, (now - bucket.updated) / .seconds(1)) * rate.perSecond)
            bucket.updated = now
            defer {
                if buckets[caller] == nil, buckets.count >= maximumCallers { evict(from: &buckets, now: now) }
                buckets[caller] = bucket
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .admitted
            }
            let wait = (1 - bucket.tokens) / rate.perSecond
            bucket.nextRefusal = min(max(now, bucket.nextRefusal) + interval, now + maximumHold)
            return .refused(hold: bucket.nextRefusal - now, retryAfter: max(1, Int(wait.rounded(.up))))
        }
    }

    /// Drops the buckets of callers that went quiet long enough to refill, and if that frees
    /// nothing, the half least recently used.
    private func evict(from buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refill = Double(rate.burst) / rate.perSecond
        buckets = buckets.filter { (now - $0.value.updated) / .seconds(1) < refill || $0.value.nextRefusal > now }
        if buckets.count >= maximumCallers {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maximumCallers / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.3g", value)
    }
}
