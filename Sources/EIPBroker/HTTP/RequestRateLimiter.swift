import EIPCore
import Foundation
import Synchronization

/// A token bucket per caller: a cluster (by its id), the admin, or, for requests without a valid
/// token, the source address. A caller over its rate is answered `429` with `Retry-After`, so
/// one cluster looping on the API cannot starve the others.
///
/// Buckets live in memory, per replica. Their number is bounded: when ``maximumCallers`` are
/// tracked, buckets that have refilled (callers that went quiet) are dropped first, then the
/// oldest, so a flood of source addresses costs bounded memory.
final class RequestRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: RequestRate
    let maximumCallers: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: RequestRate, maximumCallers: Int = 50_000) {
        self.rate = rate
        self.maximumCallers = max(maximumCallers, 1)
    }

    /// Takes one request from `caller`'s bucket.
    /// - Throws: `BrokerError` `RateLimited` (429) with `Retry-After` when the bucket is empty.
    func admit(_ caller: String, what: @autoclosure () -> String) throws(BrokerError) {
        guard rate.perSecond > 0, rate.burst > 0 else { return }
        let now = ContinuousClock.now
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: Double(rate.burst), updated: now)
            bucket.tokens = min(Double(rate.burst), bucket.tokens + (now - bucket.updated) / .seconds(1) * rate.perSecond)
            bucket.updated = now
            defer {
                if buckets[caller] == nil, buckets.count >= maximumCallers { evict(from: &buckets, now: now) }
                buckets[caller] = bucket
            }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rate.perSecond }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            throw BrokerError(
                .rateLimited, "\(what()) is over its rate of \(Self.format(rate.perSecond)) requests per second (burst \(rate.burst)): slow down",
                retryAfter: max(1, Int(wait.rounded(.up)))
            )
        }
    }

    /// Drops the buckets of callers that went quiet long enough to refill, and if that frees
    /// nothing, the half least recently used.
    private func evict(from buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refill = Double(rate.burst) / rate.perSecond
        buckets = buckets.filter { (now - $0.value.updated) / .seconds(1) < refill }
        if buckets.count >= maximumCallers {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maximumCallers / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.3g", value)
    }
}
