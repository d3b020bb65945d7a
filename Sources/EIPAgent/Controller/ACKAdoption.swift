import EIPAPI
public import EIPCore
public import Logging

/// Takes over a cluster that runs ack-extend-network-controller (or Terway's EIP feature):
/// every PodEIP that ACK's controller keeps (its finalizer,
/// `podeip-controller.alibabacloud.com/finalizer`) and whose pod is alive becomes the pod's
/// broker lease through the admin `POST /v1/lease-imports`: the EIP keeps its address and its
/// association, nothing is allocated or unbound. The PodEIP then carries the agent's finalizer
/// instead of ACK's, the lease annotation and the lease's spec and status; the pod's
/// `allocated-eipAddress` annotation and `k8s.aliyun.com/eip` condition are left as they are.
///
/// A PodEIP whose pod is gone (or has exited), or that shows no EIP yet, is left to ACK's
/// controller, and the report says so; one that is the agent's already is skipped. A dry run
/// only reports what would be done. Running it again picks up where it stopped.
///
/// ```swift
/// let adoption = ACKAdoption(client: kubernetes, broker: adminBroker, cluster: "prod-a", pool: "default", logger: logger)
/// for entry in try await adoption.run(dryRun: true) { print(entry) }
/// ```
public struct ACKAdoption: Sendable {
    /// The finalizer ACK's controller puts on its PodEIPs.
    public static let ackFinalizer = "podeip-controller.alibabacloud.com/finalizer"

    /// What became of one PodEIP.
    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        public enum Outcome: Sendable, Hashable {
            /// Dry run: it would be imported.
            case planned
            /// Imported as this lease.
            case adopted(leaseID: String)
            /// Left alone, for this reason.
            case skipped(String)
            /// Tried and refused, with the reason.
            case failed(String)
        }

        public var pod: ObjectKey
        public var allocationID: String?
        public var allocationType: AllocationType
        public var releaseStrategy: ReleaseStrategy
        public var outcome: Outcome

        public var description: String {
            let what = "\(pod) \(allocationID ?? "(no EIP)") \(allocationType.rawValue) \(releaseStrategy.annotationValue)"
            switch outcome {
            case .planned: return "plan     \(what)"
            case .adopted(let leaseID): return "adopted  \(what) as lease \(leaseID)"
            case .skipped(let reason): return "skipped  \(what): \(reason)"
            case .failed(let reason): return "FAILED   \(what): \(reason)"
            }
        }
    }

    let client: KubernetesClient
    let broker: BrokerClient
    let cluster: String
    let pool: String
    let logger: Logger

    /// - Parameters:
    ///   - broker: A client with an admin token: importing is an admin's act.
    ///   - cluster: The cluster's name in the broker.
    ///   - pool: The pool `Auto` EIPs join (counted against its size from then on).
    public init(client: KubernetesClient, broker: BrokerClient, cluster: String, pool: String, logger: Logger) {
        self.client = client
        self.broker = broker
        self.cluster = cluster
        self.pool = pool
        self.logger = logger
    }

    /// Looks at every PodEIP of the cluster, in order, and imports (or, in a dry run, plans)
    /// those ACK's controller keeps. - Returns: one entry per PodEIP.
    public func run(dryRun: Bool) async throws -> [Entry] {
        var entries: [Entry] = []
        for object in try await client.listAll(PodEIPObject.self).items.sorted(by: { $0.key < $1.key }) {
            var entry = Entry(
                pod: object.key, allocationID: object.spec.allocationID, allocationType: object.spec.allocationType.type,
                releaseStrategy: object.spec.allocationType.releaseStrategy, outcome: .planned)
            entry.outcome = try await adopt(object, dryRun: dryRun)
            logger.info("\(entry)")
            entries.append(entry)
        }
        return entries
    }

    private func adopt(_ object: PodEIPObject, dryRun: Bool) async throws -> Entry.Outcome {
        let finalizers = object.metadata.finalizers
        if finalizers.contains(PodEIP.finalizer), object.metadata.annotations[PodEIPReconciler.leaseAnnotation] != nil {
            return .skipped("the agent's already")
        }
        guard finalizers.contains(Self.ackFinalizer) else { return .skipped("not kept by ACK's controller (no \(Self.ackFinalizer))") }
        guard let allocationID = object.spec.allocationID else { return .skipped("no EIP yet: left to ACK's controller") }
        let pod: Pod
        do {
            pod = try await client.get(Pod.self, namespace: object.key.namespace, name: object.key.name)
        } catch let error as KubernetesAPIError where error.code == .notFound {
            return .skipped("the pod is gone: left to ACK's controller")
        }
        guard !pod.hasExited, let uid = pod.metadata.uid else { return .skipped("the pod has exited: left to ACK's controller") }
        guard let podIP = pod.status.podIP, !podIP.isEmpty else { return .skipped("the pod has no IP yet: left to ACK's controller") }
        if dryRun { return .planned }

        let isStatic = object.spec.allocationType.type == .static
        let body = Components.Schemas.LeaseImport(
            cluster: cluster, namespace: object.key.namespace, pod: object.key.name, podUid: uid, allocationId: allocationID,
            allocationType: isStatic ? ._static : .auto, pool: isStatic ? nil : pool,
            releaseStrategy: object.spec.allocationType.releaseStrategy.annotationValue,
            privateIpAddress: podIP
        )
        let lease: BrokerLease
        do {
            lease = try await broker.importLease(body).lease
        } catch let error as BrokerClientError where error.httpStatus < 500 {
            return .failed("\(error.code.rawValue): \(error.detail ?? error.description)")
        }
        guard try await handOver(object, to: lease) else {
            return .failed(
                "the PodEIP changed while it was adopted (is ACK's controller still running?): lease \(lease.id) holds \(allocationID); "
                    + "run adopt again once ACK's controller is stopped")
        }
        return .adopted(leaseID: lease.id)
    }

    /// ACK's finalizer off, the agent's on, the lease shown; read again and retried on a
    /// conflict. - Returns: `false` when the PodEIP no longer shows the lease's EIP, or is
    /// being deleted (ACK's controller still at work): it is then left as it is.
    private func handOver(_ object: PodEIPObject, to lease: BrokerLease) async throws -> Bool {
        let shown = PodEIP(brokerLease: lease)
        var object = object
        var attempt = 0
        while true {
            attempt += 1
            guard object.spec.allocationID == lease.allocationId, object.metadata.deletionTimestamp == nil else { return false }
            object.metadata.finalizers =
                object.metadata.finalizers.filter { $0 != Self.ackFinalizer && $0 != PodEIP.finalizer } + [
                    PodEIP.finalizer
                ]
            object.metadata.annotations[PodEIPReconciler.leaseAnnotation] = lease.id
            object.spec = shown.spec
            do {
                object = try await client.update(object)
                object.status = shown.status
                _ = try await client.updateStatus(object)
                return true
            } catch let error as KubernetesAPIError where error.code == .conflict && attempt < 5 {
                object = try await client.get(PodEIPObject.self, namespace: object.key.namespace, name: object.key.name)
            }
        }
    }
}
