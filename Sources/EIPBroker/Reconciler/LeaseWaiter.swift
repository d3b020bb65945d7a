import EIPCore
import EIPStore

/// Answers `wait`: returns a lease once it has settled (its phase reached its goal, or it
/// failed), or when the time is up. Woken by the reconciler of this replica, and polling for the
/// work of other replicas.
struct LeaseWaiter: Sendable {
    let store: BrokerStore
    let signal: WorkSignal
    let pollInterval: Duration

    func waitUntilSettled(_ lease: Lease, seconds: Int) async throws -> Lease {
        var current = lease
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(seconds))
        while current.needsWork, clock.now < deadline, !Task.isCancelled {
            await signal.wait(timeout: min(pollInterval, deadline - clock.now))
            guard let latest = try await store.lease(id: current.id) else { break }
            current = latest
        }
        return current
    }
}
