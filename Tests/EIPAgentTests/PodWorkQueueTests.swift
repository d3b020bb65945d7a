import EIPCore
import Testing

@testable import EIPAgent
@testable import EIPTestSupport

/// The agent's work queue: a failed pod comes back after its own backoff, measured on the
/// queue's clock (here one the test moves, so the pauses are exact and a loaded machine cannot
/// stretch or shrink them), growing per failure and reset by a success.
@Suite("Pod work queue")
struct PodWorkQueueTests {
    static let pod = ObjectKey(namespace: "games", name: "relay-0")

    @Test func aFailedPodComesBackAfterItsBackoffAndNotBefore() async throws {
        let clock = ManualClock()
        let queue = PodWorkQueue(backoff: RetryBackoff(initial: .seconds(10), maximum: .seconds(25), jitter: 0), clock: ElapsedClock(clock))
        await queue.add(Self.pod)
        #expect(await queue.next() == Self.pod)

        // 10 s, then 20 s, then the ceiling of 25 s: each time the key waits out its pause exactly.
        for pause in [10, 20, 25] {
            await queue.done(Self.pod, failed: true)
            try await waitUntil("the retry to wait on the clock") { clock.sleeping == 1 }
            clock.advance(by: .seconds(pause) - .milliseconds(1))
            #expect(clock.sleeping == 1, "the retry came back before its \(pause) s")
            try await clock.advance(by: .milliseconds(1), once: 1)
            #expect(await queue.next() == Self.pod)
        }

        // A success resets the backoff; a longer Retry-After from the broker wins over it.
        await queue.done(Self.pod, failed: false)
        await queue.add(Self.pod)
        #expect(await queue.next() == Self.pod)
        await queue.done(Self.pod, failed: true, retryAfter: .seconds(40))
        try await waitUntil("the retry to wait on the clock") { clock.sleeping == 1 }
        #expect(clock.sleeping(dueWithin: .seconds(10)) == 0, "Retry-After 40 s was cut short")
        try await clock.advance(by: .seconds(40), once: 1)
        #expect(await queue.next() == Self.pod)
        await queue.finish()
    }
}
