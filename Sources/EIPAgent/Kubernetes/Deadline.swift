import EIPCore

/// A renewal did not finish within the renew deadline.
struct LeaderElectionTimeout: Error, CustomStringConvertible {
    var description: String { "the lease request did not finish before the renew deadline" }
}

/// The result of `operation`, or `nil` if it did not finish within `timeout` of `clock` (it is
/// cancelled).
func withDeadline<Value: Sendable>(_ timeout: Duration, on clock: ElapsedClock, _ operation: @escaping @Sendable () async -> Value)
    async -> Value?
{
    await withTaskGroup(of: Value?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await clock.sleep(timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
