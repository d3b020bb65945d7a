import EIPCore
import Foundation
import Synchronization
import Testing

/// A clock that moves only when a test moves it, and tells how many sleeps wait on it and how
/// soon they are due, so a test advances time once the code under test is parked in its periodic
/// sleeps (never while it is busy, however slow the machine; a timeout armed around a request is
/// a sleep too, but one due later). swift-clocks' `TestClock` tells neither.
///
/// ```swift
/// let clock = ManualClock()
/// let elector = LeaderElector(client: client, configuration: configuration, clock: ElapsedClock(clock), logger: logger)
/// try await clock.advance(by: .milliseconds(120), once: 2)   // when both loops sleep
/// ```
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let id: Int
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// How many sleeps are waiting for the clock to move.
    var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// How many sleeps moving the clock by `duration` would end.
    func sleeping(dueWithin duration: Duration) -> Int {
        state.withLock { state in
            let horizon = state.now.advanced(by: duration)
            return state.sleepers.filter { $0.deadline <= horizon }.count
        }
    }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if deadline <= state.now { return true }
                    if Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let cancelled = state.withLock { state in
                state.sleepers.firstIndex { $0.id == id }.map { state.sleepers.remove(at: $0) }
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on by `duration` and wakes every sleep that is then due.
    func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Wall time that moves with this clock, starting at `origin`: for rules tied to calendar
    /// instants (credential expiry, TTLs), so hours pass in one ``advance(by:)``.
    func wallClock(from origin: Date = Date()) -> WallClock {
        WallClock { [self] in origin.addingTimeInterval(now.offset.timeInterval) }
    }

    /// Waits (bounded, in real time) until at least `sleepers` sleeps that `duration` ends wait
    /// on the clock, then moves it on by `duration`.
    func advance(by duration: Duration, once sleepers: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await waitUntil("\(sleepers) sleeps due within \(duration) (\(sleeping) sleep)", sourceLocation: sourceLocation) {
            self.sleeping(dueWithin: duration) >= sleepers
        }
        advance(by: duration)
    }
}
