/// A clock as the loops with deadlines see one (leader election terms, retry pauses): the time
/// elapsed since it was made, and sleeping. Made from any `Clock` measured in `Duration`, so
/// production runs on `ContinuousClock` and tests on a clock they move by hand (swift-clocks'
/// `TestClock`), in virtual time: a loaded machine then slows a test down but never changes
/// what it sees.
///
/// ```swift
/// let clock = ElapsedClock(ContinuousClock())
/// let started = clock.now()
/// try await clock.sleep(for: .seconds(2))
/// clock.now() - started   // at least 2 s
/// ```
public struct ElapsedClock: Sendable {
    /// The time elapsed since the clock was made.
    public let now: @Sendable () -> Duration
    /// Sleeps for a duration of this clock; throws `CancellationError` when cancelled.
    public let sleep: @Sendable (_ duration: Duration) async throws -> Void

    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
        sleep = { duration in try await clock.sleep(for: duration) }
    }

    /// The continuous clock: wall time that keeps counting while the machine sleeps.
    public static var continuous: ElapsedClock { ElapsedClock(ContinuousClock()) }

    /// Sleeps until `deadline` (a value of ``now``); at once when it has passed.
    public func sleep(until deadline: Duration) async throws {
        let remaining = deadline - now()
        if remaining > .zero { try await sleep(remaining) }
    }
}
