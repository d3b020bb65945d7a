import Synchronization

/// Wakes sleepers when something changed: reconciler workers when a lease needs work, and
/// `wait` callers when a lease moved. A wake-up is a hint; sleepers re-read the database.
final class WorkSignal: Sendable {
    private struct Sleeper {
        let id: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private let state = Mutex<(next: UInt64, sleepers: [Sleeper])>((0, []))

    /// Wakes every sleeper.
    func notify() {
        let sleepers = state.withLock { state in
            defer { state.sleepers.removeAll() }
            return state.sleepers
        }
        for sleeper in sleepers { sleeper.continuation.resume() }
    }

    /// Sleeps until ``notify()``, the timeout, or cancellation, whichever comes first.
    func wait(timeout: Duration) async {
        let id = state.withLock { state in
            state.next += 1
            return state.next
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let parked = self.state.withLock { state in
                        guard !Task.isCancelled else { return false }
                        state.sleepers.append(Sleeper(id: id, continuation: continuation))
                        return true
                    }
                    if !parked { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
            await group.next()
            group.cancelAll()
            self.wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        let sleeper = state.withLock { state -> Sleeper? in
            guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
            return state.sleepers.remove(at: index)
        }
        sleeper?.continuation.resume()
    }
}
