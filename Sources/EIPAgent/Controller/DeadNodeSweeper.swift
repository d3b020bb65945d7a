import EIPCore
import Logging

/// Node mode's answer to a node that died: nobody runs there to release what its pods held, so
/// one agent, elected among the node agents (``elector``), watches the nodes and the PodEIPs labelled with
/// one (``AgentScope/nodeLabel``), and every ``interval`` applies the release strategy of each
/// PodEIP whose node is dead (``DeadNodes``, confirmed with the API server just before): of a
/// node gone from the API, every such PodEIP whose pod is gone or still on that node; of a node
/// not `Ready` for ``period``, those whose pod is gone or being deleted (an eviction its kubelet
/// never confirms). Follow releases the EIP; TTL and Never retain it for a pod of the same name,
/// wherever that one is scheduled next.
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

    /// What the API server says of a node the cache calls dead, asked again just before acting.
    private enum NodeState { case gone, notReady, ready }

    private func sweep(_ podEIPs: [PodEIPObject], dead: DeadNodes) async {
        var confirmed: [String: NodeState] = [:]
        for object in podEIPs {
            guard let node = object.metadata.labels[AgentScope.nodeLabel], dead.isDead(node) else { continue }
            let state: NodeState
            if let known = confirmed[node] {
                state = known
            } else {
                state = await confirm(node)
                confirmed[node] = state
            }
            guard state != .ready else { continue }
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
            // A node that is only NotReady may still run its pods (and its agent, which would
            // give a released pod a new EIP): there only pods that are gone or being deleted
            // (evicted, their kubelet never confirming) are released.
            if state == .notReady, let pod, !pod.isTerminating { continue }
            logger.info(
                "the pod's node is dead: applying its release strategy",
                metadata: ["pod": "\(object.key)", "node": "\(node)", "node state": "\(state)", "podExists": "\(pod != nil)"])
            do {
                try await reconciler.release(object.key)
            } catch {
                logger.warning("releasing the EIP of a pod on a dead node failed", metadata: ["pod": "\(object.key)", "error": "\(error)"])
            }
        }
    }

    /// The node as the API server has it now: a cache that missed a re-registration, or a node
    /// ready again, must not cost its pods their EIPs. An answer other than 404 counts as ready.
    private func confirm(_ node: String) async -> NodeState {
        do {
            return try await client.get(Node.self, namespace: nil, name: node).isReady ? .ready : .notReady
        } catch let error as KubernetesAPIError where error.code == .notFound {
            return .gone
        } catch {
            logger.warning("cannot read a node the sweep would act on; leaving it", metadata: ["node": "\(node)", "error": "\(error)"])
            return .ready
        }
    }
}
