import EIPAPI
public import EIPCore
public import Logging
import Synchronization

/// The agent's controller: watches pods (of the cluster or of one node) and gives each pod that
/// asks for an EIP its address, through the broker, as the seed's annotations describe.
///
/// - Informer events feed a keyed, de-duplicating ``PodWorkQueue`` served by
///   ``PodControllerConfiguration/concurrency`` workers, with a backoff per pod, so one slow pod
///   never blocks the others.
/// - Every ``PodControllerConfiguration/resyncInterval`` every known pod is queued again, and so
///   is every PodEIP whose pod is gone (pods deleted while the agent was down).
/// - PodEIPs are watched too: one deleted by hand queues its pod at once.
/// - In cluster scope only, after the first complete list and then every
///   ``PodControllerConfiguration/heartbeatInterval``, the broker gets the heartbeat: every pod
///   that has (or may have) a lease and has not exited, whatever its annotations say. A node
///   agent sees one node, and a heartbeat is the complete list of the cluster, so it sends none
///   (see ``AgentScope/node(_:)``).
///
/// ```swift
/// let controller = PodController(client: kubernetes, broker: broker, configuration: .init(defaultPool: "default"), logger: logger)
/// try await elector.run { try await controller.run() }
/// ```
public final class PodController: Sendable {
    private let client: KubernetesClient
    private let broker: BrokerClient
    private let configuration: PodControllerConfiguration
    private let clock: ElapsedClock
    private let logger: Logger
    /// Also what node mode's ``DeadNodeSweeper`` releases with.
    let reconciler: PodEIPReconciler

    /// - Parameter clock: what retries, resyncs and heartbeats wait on (the continuous clock
    ///   unless a test moves one by hand).
    public init(
        client: KubernetesClient, broker: BrokerClient, configuration: PodControllerConfiguration, clock: ElapsedClock = .continuous,
        logger: Logger
    ) {
        self.client = client
        self.clock = clock
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
        reconciler = PodEIPReconciler(client: client, broker: broker, configuration: configuration, logger: logger)
    }

    /// Runs until cancelled: a fresh informer, the workers, resync and heartbeat. Can be run
    /// again afterwards (as ``LeaderElector`` does on each new term).
    public func run() async throws {
        var fieldSelector: String?
        var labelSelector: String?
        if case .node(let node) = configuration.scope {
            fieldSelector = "spec.nodeName=\(node)"
            labelSelector = "\(AgentScope.nodeLabel)=\(node)"
        }
        let informer = Informer<Pod>(client: client, fieldSelector: fieldSelector, clock: clock, logger: logger)
        let podEIPs = Informer<PodEIPObject>(client: client, labelSelector: labelSelector, clock: clock, logger: logger)
        let queue = PodWorkQueue(backoff: configuration.retryBackoff, clock: clock)
        let (synced, syncedContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (podEIPsSynced, podEIPsSyncedContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                group.addTask {
                    for await event in informer.events {
                        switch event {
                        case .added(let pod), .updated(_, let pod), .deleted(let pod): await queue.add(pod.key)
                        case .synced: syncedContinuation.yield()
                        }
                    }
                    syncedContinuation.finish()
                }
                // A PodEIP deleted by hand ends its lease (see PodEIPReconciler.release).
                group.addTask { try await podEIPs.run() }
                group.addTask {
                    for await event in podEIPs.events {
                        switch event {
                        case .added(let object), .updated(_, let object):
                            if object.metadata.deletionTimestamp != nil { await queue.add(object.key) }
                        case .synced: podEIPsSyncedContinuation.yield()
                        case .deleted: break
                        }
                    }
                    podEIPsSyncedContinuation.finish()
                }
                for _ in 0..<configuration.concurrency {
                    group.addTask { await self.work(queue, informer) }
                }
                // The resync and the heartbeat read both caches: neither starts before both are full.
                group.addTask {
                    var pods = synced.makeAsyncIterator()
                    var withPodEIPs = podEIPsSynced.makeAsyncIterator()
                    guard await pods.next() != nil, await withPodEIPs.next() != nil else { return }
                    try await self.periodic(queue, informer, podEIPs)
                }
                do {
                    try await group.next()
                } catch {
                    await queue.finish()
                    throw error
                }
                await queue.finish()
                group.cancelAll()
            }
        } onCancel: {
            Task { await queue.finish() }
        }
    }

    private func work(_ queue: PodWorkQueue, _ informer: Informer<Pod>) async {
        while let key = await queue.next() {
            do {
                try await reconciler.reconcile(key, pod: informer.object(key))
                await queue.done(key, failed: false)
            } catch {
                logger.info("will retry the pod", metadata: ["pod": "\(key)", "error": "\(error)"])
                await queue.done(key, failed: true, retryAfter: (error as? BrokerClientError)?.retryAfter)
            }
        }
    }

    /// After the first sync: resync (and, in cluster scope, the heartbeat) on their intervals.
    private func periodic(_ queue: PodWorkQueue, _ informer: Informer<Pod>, _ podEIPs: Informer<PodEIPObject>) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    await self.resync(queue, informer, podEIPs)
                    try await self.clock.sleep(self.configuration.resyncInterval)
                }
            }
            if configuration.scope == .cluster {
                group.addTask {
                    while !Task.isCancelled {
                        await self.heartbeat(informer, podEIPs)
                        try await self.clock.sleep(self.configuration.heartbeatInterval)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Queues every known pod, and every PodEIP of this agent's scope whose pod is gone.
    private func resync(_ queue: PodWorkQueue, _ informer: Informer<Pod>, _ podEIPs: Informer<PodEIPObject>) async {
        let pods = informer.objects
        let live = Set(pods.map(\.key))
        for pod in pods { await queue.add(pod.key) }
        for object in podEIPs.objects where !live.contains(object.key) { await queue.add(object.key) }
    }

    /// Sends the broker every pod that has (or may have) a lease and has not exited (cluster
    /// scope only): pods whose annotations mention an EIP, whether they parse or not, and pods
    /// with a PodEIP (from the PodEIP informer's cache, which the first heartbeat waits for, so
    /// the list is never partial: a partial list would release the leases left out). A pod in
    /// its grace period is still listed.
    private func heartbeat(_ informer: Informer<Pod>, _ podEIPs: Informer<PodEIPObject>) async {
        let withPodEIPs = Set(podEIPs.objects.map(\.key))
        let pods = informer.objects.compactMap { pod -> Components.Schemas.HeartbeatPod? in
            guard !pod.hasExited, let uid = pod.metadata.uid,
                PodAnnotation.mentionsAnEIP(pod.metadata.annotations) || withPodEIPs.contains(pod.key)
            else { return nil }
            return Components.Schemas.HeartbeatPod(namespace: pod.key.namespace, pod: pod.key.name, podUid: uid)
        }
        do {
            let answer = try await broker.heartbeat(pods)
            logger.debug("heartbeat sent", metadata: ["pods": "\(pods.count)", "released": "\(answer.released.count)"])
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }
}
