import EIPCore
import Logging

/// Node mode's answer to a node that died: nobody runs there to release what its pods held, so
/// one agent, elected among the node agents (``elector``), watches the nodes and the PodEIPs labelled with
/// one (``AgentScope/nodeLabel``), and every ``interval`` applies the release strategy of each
/// PodEIP whose node is dead (``DeadNodes``: gone from the API, or not `Ready` for
/// ``period``) and whose pod is gone or still on that node. Follow releases the EIP; TTL and
/// Never retain it for a pod of the same name, wherever that one is scheduled next.
///
/// A pod that moved to another node is left to that node's agent, which relabels its PodEIP.
/// Work that fails (the broker down, a conflict) is tried again on the next sweep.
///
/// Made by ``buildAgent(configuration:kubernetes:httpClient:clock:logger:)`` in node mode from
/// ``AgentConfiguration/deadNodes``, and run by ``AgentService`` beside the pod controller.
public final class DeadNodeSweeper: Sendable {
    /// The election among the node agents: only its leader sweeps.
    public let elector: LeaderElector
    private let client: KubernetesClient
    private let reconciler: PodEIPReconciler
    /// How long a node may stay not ready before its pods' EIPs get their strategy applied.
    let period: Duration
    /// The wait between sweeps.
    let interval: Duration
    private let clock: ElapsedClock
    private let logger: Logger

    init(
        client: KubernetesClient, elector: LeaderElector, reconciler: PodEIPReconciler, period: Duration, interval: Duration,
        clock: ElapsedClock, logger: Logger
    ) {
        self.client = client
        self.elector = elector
        self.reconciler = reconciler
        self.period = period
        self.interval = interval
        self.clock = clock
        var logger = logger
        logger[metadataKey: "task"] = "dead-node sweep"
        self.logger = logger
    }

    /// Runs until cancelled, sweeping while this agent leads.
    public func run() async throws {
        try await elector.run { try await self.sweepWhileLeading() }
    }

    /// Fresh informers, then a sweep every ``interval`` once both have listed everything. Runs
    /// again on each leader term.
    private func sweepWhileLeading() async throws {
        let nodes = Informer<Node>(client: client, clock: clock, logger: logger)
        let podEIPs = Informer<PodEIPObject>(client: client, labelSelector: AgentScope.nodeLabel, clock: clock, logger: logger)
        let (synced, syncedContinuation) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await nodes.run() }
            group.addTask { try await podEIPs.run() }
            // The sweep reads the caches; the events only say when each has listed everything
            // (and must be drained: the streams buffer without bound).
            group.addTask {
                for await event in nodes.events { if case .synced = event { syncedContinuation.yield() } }
            }
            group.addTask {
                for await event in podEIPs.events { if case .synced = event { syncedContinuation.yield() } }
            }
            group.addTask {
                for await _ in synced where nodes.hasSynced && podEIPs.hasSynced { break }
                guard nodes.hasSynced && podEIPs.hasSynced else { return }
                var dead = DeadNodes(period: self.period)
                while !Task.isCancelled {
                    let known = nodes.objects
                    dead.observe(known, at: self.clock.now())
                    self.logger.debug("dead-node sweep started", metadata: ["nodes": "\(known.count)"])
                    await self.sweep(podEIPs.objects, dead: dead)
                    try await self.clock.sleep(self.interval)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func sweep(_ podEIPs: [PodEIPObject], dead: DeadNodes) async {
        for object in podEIPs {
            guard let node = object.metadata.labels[AgentScope.nodeLabel], dead.isDead(node) else { continue }
            let pod: Pod?
            do {
                pod = try await client.get(Pod.self, namespace: object.key.namespace, name: object.key.name)
            } catch let error as KubernetesAPIError where error.code == .notFound {
                pod = nil
            } catch {
                logger.warning("cannot read the pod of a PodEIP on a dead node", metadata: ["pod": "\(object.key)", "error": "\(error)"])
                continue
            }
            if let pod, pod.spec.nodeName != node { continue }
            logger.info(
                "the pod's node is dead: applying its release strategy",
                metadata: ["pod": "\(object.key)", "node": "\(node)", "podExists": "\(pod != nil)"])
            do {
                try await reconciler.release(object.key)
            } catch {
                logger.warning("releasing the EIP of a pod on a dead node failed", metadata: ["pod": "\(object.key)", "error": "\(error)"])
            }
        }
    }
}
