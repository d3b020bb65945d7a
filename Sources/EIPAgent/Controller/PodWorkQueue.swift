import EIPCore

/// The keys of pods waiting to be reconciled, handed to a bounded number of workers.
///
/// - A key is queued at most once: adding a queued key again changes nothing, and adding a key
///   that a worker is reconciling right now queues it again once that worker is done, so one
///   pod is never reconciled twice at once and the latest state is always seen.
/// - A failed key is added back after its own backoff (growing per key, reset on success),
///   without holding a worker meanwhile: one slow or failing pod never blocks the others.
///
/// ```swift
/// let queue = PodWorkQueue(backoff: RetryBackoff(initial: .milliseconds(200)), clock: .continuous)
/// await queue.add(pod.key)
/// while let key = await queue.next() { let ok = await reconcile(key); await queue.done(key, retryAfter: ok ? nil : .zero) }
/// ```
actor PodWorkQueue {
    private var queue: [ObjectKey] = []
    private var queued: Set<ObjectKey> = []
    private var processing: Set<ObjectKey> = []
    private var dirty: Set<ObjectKey> = []
    private var backoffs: [ObjectKey: RetryBackoff] = [:]
    private var waiters: [CheckedContinuation<ObjectKey?, Never>] = []
    private var finished = false
    private let backoff: RetryBackoff
    /// What the backoffs are waited out on.
    private let clock: ElapsedClock

    init(backoff: RetryBackoff, clock: ElapsedClock) {
        self.backoff = backoff
        self.clock = clock
    }

    /// Queues `key` unless it is queued already.
    func add(_ key: ObjectKey) {
        guard !finished else { return }
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard queued.insert(key).inserted else { return }
        if waiters.isEmpty {
            queue.append(key)
        } else {
            queued.remove(key)
            processing.insert(key)
            waiters.removeFirst().resume(returning: key)
        }
    }

    /// The next key to reconcile, waiting for one; `nil` once ``finish()`` was called.
    func next() async -> ObjectKey? {
        if finished { return nil }
        if !queue.isEmpty {
            let key = queue.removeFirst()
            queued.remove(key)
            processing.insert(key)
            return key
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks `key` done. With `failed`, it comes back after its backoff (or `retryAfter` when
    /// longer, such as the broker's `Retry-After`).
    func done(_ key: ObjectKey, failed: Bool, retryAfter: Duration? = nil) {
        processing.remove(key)
        if failed {
            var keyBackoff = backoffs[key] ?? backoff
            let delay = max(keyBackoff.next(), retryAfter ?? .zero)
            backoffs[key] = keyBackoff
            Task { [weak self, clock] in
                try? await clock.sleep(delay)
                await self?.add(key)
            }
        } else {
            backoffs[key] = nil
        }
        if dirty.remove(key) != nil { add(key) }
    }

    /// Stops handing out keys: every waiting and later ``next()`` returns `nil`.
    func finish() {
        finished = true
        queue.removeAll()
        queued.removeAll()
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting { waiter.resume(returning: nil) }
    }
}
