public import EIPCore
import Foundation
public import Logging
import Synchronization

/// Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: among candidates
/// that share a Lease, at most one runs the work at a time.
///
/// - A candidate takes the Lease when it is free, or when its holder has not renewed it for
///   `leaseDurationSeconds` *as measured by this candidate's own clock* since it last saw the
///   record change (so clock skew between nodes does not matter).
/// - Every write carries the resource version read, so of two candidates writing at once one
///   gets `409 Conflict` and has lost the race.
/// - The leader renews every `retryPeriod`. If it cannot renew for `renewDeadline`, or sees
///   another holder, it has lost leadership: the work is cancelled and it becomes a candidate
///   again.
///
/// Terms, pauses and deadlines are measured on the injected ``ElapsedClock`` (the continuous
/// clock unless told otherwise); the Lease's `renewTime` and `acquireTime` are wall time, for
/// people reading it.
///
/// ```swift
/// let elector = LeaderElector(client: client, configuration: LeaderElectionConfiguration(
///     leaseName: "eip-agent", namespace: "eip-agent", identity: podName), logger: logger)
/// try await elector.run {
///     try await controller.run()   // cancelled when leadership is lost
/// }
/// ```
public final class LeaderElector: Sendable {
    public let configuration: LeaderElectionConfiguration
    private let client: KubernetesClient
    private let logger: Logger
    private let clock: ElapsedClock
    private let state: Mutex<State>

    private struct State {
        var isLeader = false
        var observed: CoordinationLease?
        var observedAt: Duration
    }

    /// - Parameters:
    ///   - clock: what terms and pauses are measured on (default: the continuous clock).
    public init(client: KubernetesClient, configuration: LeaderElectionConfiguration, clock: ElapsedClock = .continuous, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.state = Mutex(State(observedAt: clock.now()))
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.leaseName)"
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        self.logger = logger
    }

    /// Whether this candidate leads right now.
    public var isLeader: Bool { state.withLock { $0.isLeader } }

    /// The holder this candidate last saw on the Lease, if any.
    public var observedHolder: String? {
        state.withLock { $0.observed?.spec.holderIdentity.flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// Competes for leadership and runs `whileLeading` each time it is gained, cancelling it when
    /// leadership is lost, and competing again afterwards.
    ///
    /// Returns when cancelled (releasing the Lease if ``LeaderElectionConfiguration/releaseOnCancel``)
    /// or when `whileLeading` returns; rethrows what `whileLeading` throws. Either way the Lease is
    /// released if this candidate held it.
    public func run(whileLeading: @escaping @Sendable () async throws -> Void) async throws {
        defer { state.withLock { $0.isLeader = false } }
        while !Task.isCancelled {
            guard await acquire() else { break }
            state.withLock { $0.isLeader = true }
            logger.info("became the leader")
            let outcome = await lead(whileLeading)
            state.withLock { $0.isLeader = false }
            switch outcome {
            case .lost:
                logger.warning("lost leadership; the work was cancelled")
            case .cancelled:
                if configuration.releaseOnCancel { await release() }
                return
            case .finished:
                await release()
                return
            case .failed(let error):
                await release()
                throw error
            }
        }
    }

    private enum Outcome: Sendable {
        case lost, cancelled, finished
        case failed(any Error)
    }

    /// Runs the work and the renewal loop side by side until either ends.
    private func lead(_ work: @escaping @Sendable () async throws -> Void) async -> Outcome {
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await work()
                    return .finished
                } catch {
                    return .failed(error)
                }
            }
            group.addTask { await self.renewUntilLost() }
            let first = await group.next() ?? .lost
            group.cancelAll()
            await group.waitForAll()
            return first
        }
        if Task.isCancelled { return .cancelled }
        return outcome
    }

    /// Waits until this candidate holds the Lease; `false` when cancelled first.
    private func acquire() async -> Bool {
        var loggedHolder: String?
        while !Task.isCancelled {
            switch await attempt() {
            case .held:
                return true
            case .heldByOther(let holder):
                if holder != loggedHolder {
                    logger.info("another candidate leads", metadata: ["holder": "\(holder)"])
                    loggedHolder = holder
                }
            case .failed(let error):
                logger.debug("could not acquire the lease", metadata: ["error": "\(error)"])
            }
            guard (try? await clock.sleep(configuration.retryPeriod * Double.random(in: 1...1.2))) != nil else { return false }
        }
        return false
    }

    /// Renews every retry period; returns ``Outcome/lost`` when another holder shows up or no
    /// renewal succeeded for the renew deadline, ``Outcome/cancelled`` when cancelled.
    private func renewUntilLost() async -> Outcome {
        var lastRenewal = clock.now()
        while true {
            guard (try? await clock.sleep(configuration.retryPeriod)) != nil else { return .cancelled }
            let remaining = configuration.renewDeadline - (clock.now() - lastRenewal)
            let result: AttemptResult
            if remaining <= .zero {
                result = .failed(LeaderElectionTimeout())
            } else {
                result = await withDeadline(remaining, on: clock) { await self.attempt() } ?? .failed(LeaderElectionTimeout())
            }
            if Task.isCancelled { return .cancelled }
            switch result {
            case .held:
                lastRenewal = clock.now()
            case .heldByOther(let holder):
                logger.warning("another candidate holds the lease", metadata: ["holder": "\(holder)"])
                return .lost
            case .failed(let error):
                if clock.now() - lastRenewal >= configuration.renewDeadline {
                    logger.warning("could not renew the lease before the renew deadline", metadata: ["error": "\(error)"])
                    return .lost
                }
                logger.debug("renewal failed; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    private enum AttemptResult: Sendable {
        case held
        case heldByOther(String)
        case failed(any Error)
    }

    /// One read-and-write of the Lease: creates it, takes it over when free or expired, or
    /// renews it when held; reports another live holder or a lost race.
    private func attempt() async -> AttemptResult {
        let now = Date()
        let identity = configuration.identity
        let durationSeconds = Int(configuration.leaseDuration.timeInterval.rounded(.up))
        do {
            let current: CoordinationLease
            do {
                current = try await client.get(CoordinationLease.self, namespace: configuration.namespace, name: configuration.leaseName)
            } catch let error as KubernetesAPIError where error.code == .notFound {
                let fresh = CoordinationLease(
                    metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace),
                    spec: LeaseSpec(
                        holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now,
                        leaseTransitions: 0
                    )
                )
                let created = try await client.create(fresh)
                observe(created)
                return .held
            }
            let expired = observe(current)
            let holder = current.spec.holderIdentity ?? ""
            if !holder.isEmpty, holder != identity, !expired {
                return .heldByOther(holder)
            }
            var next = current
            next.spec.holderIdentity = identity
            next.spec.leaseDurationSeconds = durationSeconds
            next.spec.renewTime = now
            if holder != identity {
                next.spec.acquireTime = now
                next.spec.leaseTransitions = (current.spec.leaseTransitions ?? 0) + 1
            }
            // Carries the resource version read: a concurrent writer makes this a 409 (lost race).
            let written = try await client.update(next)
            observe(written)
            return .held
        } catch {
            return .failed(error)
        }
    }

    /// Records `lease` as seen now if it changed, and tells whether its holder's term has run out
    /// by this candidate's clock.
    @discardableResult
    private func observe(_ lease: CoordinationLease) -> Bool {
        let now = clock.now()
        return state.withLock { state in
            if state.observed?.metadata.resourceVersion != lease.metadata.resourceVersion {
                state.observed = lease
                state.observedAt = now
            }
            let duration = Duration.seconds(lease.spec.leaseDurationSeconds ?? 0)
            return now - state.observedAt >= duration
        }
    }

    /// Hands the Lease back (no holder, one-second duration) if this candidate still holds it, so
    /// another candidate may take it at once. Runs in its own task, so a cancelled caller still
    /// gets it done.
    private func release() async {
        let configuration = self.configuration
        let client = self.client
        let logger = self.logger
        await Task {
            do {
                var lease = try await client.get(CoordinationLease.self, namespace: configuration.namespace, name: configuration.leaseName)
                guard lease.spec.holderIdentity == configuration.identity else { return }
                let now = Date()
                lease.spec.holderIdentity = nil
                lease.spec.leaseDurationSeconds = 1
                lease.spec.renewTime = now
                lease.spec.acquireTime = now
                _ = try await client.update(lease)
                logger.info("released the lease")
            } catch {
                logger.warning("could not release the lease", metadata: ["error": "\(error)"])
            }
        }.value
    }
}
