public import Foundation

/// The time of day as rules tied to calendar instants read it: when credentials expire, when a
/// request was signed, when a TTL runs out. Injected where such a rule lives, so production reads
/// the system's clock and tests a clock they move by hand, in virtual time (hours pass in a step,
/// and a loaded machine never changes what the code sees).
///
/// ```swift
/// let clock = WallClock.system
/// let expired = credentials.expiration.map { $0 <= clock.now() } ?? false
/// ```
public struct WallClock: Sendable {
    /// The current time.
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The system's clock.
    public static let system = WallClock { Date() }

    /// The current time in the books' form.
    public var timestamp: Timestamp { Timestamp(now()) }
}
