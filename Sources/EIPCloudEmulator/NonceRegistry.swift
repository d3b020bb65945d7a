import Synchronization

/// Remembers every signature nonce for a while (15 minutes by default), so a replayed request
/// is refused with `SignatureNonceUsed`. Nonces are kept per access key id.
final class NonceRegistry: Sendable {
    private struct State {
        var seen: [String: ContinuousClock.Instant] = [:]
        var order: [(key: String, at: ContinuousClock.Instant)] = []
        var head = 0
    }

    private let retention: Duration
    private let state = Mutex(State())

    init(retention: Duration) {
        self.retention = retention
    }

    /// Records the nonce; `false` when it was already used within the retention time.
    func use(_ nonce: String, accessKeyID: String) -> Bool {
        let key = accessKeyID + "\u{0}" + nonce
        let now = ContinuousClock.now
        return state.withLock { state in
            // Forget the nonces older than the retention time, oldest first.
            while state.head < state.order.count, state.order[state.head].at.duration(to: now) > retention {
                let old = state.order[state.head]
                if state.seen[old.key] == old.at { state.seen[old.key] = nil }
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            if state.seen[key] != nil { return false }
            state.seen[key] = now
            state.order.append((key, now))
            return true
        }
    }
}
