import EIPAPI
import EIPCore
internal import Foundation
import Logging
import Synchronization

/// Brings one pod's EIP in line with what the pod asks for: allocates and associates it through
/// the broker, shows it on the pod (annotation, readiness condition) and in its `PodEIP`, and
/// releases it once the pod has exited (``Pod/hasExited``) or is gone: a pod in its grace period
/// keeps it. TTL and Never hold only for pods of ``PodControllerConfiguration/statefulWorkloadKinds``;
/// other pods get Follow, with a Normal Event saying so.
///
/// Each call works on one pod key; ``PodController`` guarantees no two calls for the same key
/// run at once. A call that throws is retried with backoff; a bad annotation or a contested
/// static EIP is reported once as a Warning Event on the pod.
final class PodEIPReconciler: Sendable {
    /// The annotation on each PodEIP holding the id of its broker lease.
    static let leaseAnnotation = "eip-broker.io/lease-id"

    let client: KubernetesClient
    let broker: BrokerClient
    let configuration: PodControllerConfiguration
    let logger: Logger
    private let reported = Mutex<Set<String>>([])

    init(client: KubernetesClient, broker: BrokerClient, configuration: PodControllerConfiguration, logger: Logger) {
        self.client = client
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
    }

    /// Reconciles the pod `key`, whose current state (per the informer) is `pod`, or `nil` when
    /// it is gone.
    func reconcile(_ key: ObjectKey, pod: Pod?) async throws {
        guard let pod, !pod.hasExited else {
            try await release(key)
            return
        }
        // In its grace period (a preStop hook, players draining) a pod keeps its EIP, its
        // PodEIP and its place in the heartbeat, and starts nothing new.
        guard !pod.isTerminating else {
            logger.debug("the pod is terminating: it keeps its EIP until it exits", metadata: ["pod": "\(key)"])
            return
        }
        var request: PodEIPRequest?
        do {
            request = try PodEIPRequestParser.parse(annotations: pod.metadata.annotations, defaultPool: configuration.defaultPool)
        } catch {
            await report(pod, .warning, reason: "InvalidAnnotation", message: error.description)
            return
        }
        guard var request, let uid = pod.metadata.uid, let podIP = pod.status.podIP, !podIP.isEmpty else { return }
        // A pod on the node's network has the node's address: an EIP bound to it would be the
        // node's, shared by every hostNetwork pod there and outliving this one.
        guard pod.spec.hostNetwork != true else {
            await report(
                pod, .warning, reason: "HostNetworkPod",
                message:
                    "the pod uses the node's network (hostNetwork: true): an EIP would be bound to the node's address \(podIP), so none is allocated"
            )
            return
        }
        if case .static(let allocationID) = request.source, !request.ignoredAnnotations.isEmpty {
            await report(
                pod, .normal, reason: "EIPParametersIgnored",
                message:
                    "the static EIP \(allocationID) keeps its own settings; ignored: \(request.ignoredAnnotations.joined(separator: ", "))"
            )
        }
        if request.releaseStrategy != .follow, !configuration.statefulWorkloadKinds.owns(pod) {
            let owner = pod.controller.map { "is controlled by a \($0.kind)" } ?? "has no controller"
            await report(
                pod, .normal, reason: "ReleaseStrategyIgnored",
                message:
                    "\(PodAnnotation.releaseStrategy) '\(pod.metadata.annotations[PodAnnotation.releaseStrategy] ?? "")' holds only for pods of "
                    + "\(configuration.statefulWorkloadKinds.names.joined(separator: ", ")); this pod \(owner), so its EIP follows it (Follow)"
            )
            request.releaseStrategy = .follow
        }

        var lease: BrokerLease
        do {
            let body = request.allocateRequest(namespace: key.namespace, pod: key.name, podUID: uid, allowRob: configuration.allowRob)
            lease = try await broker.allocate(body, wait: configuration.brokerWait)
        } catch let error as BrokerClientError where error.httpStatus < 500 {
            await report(
                pod, .warning, reason: error.code.rawValue, message: "allocating an EIP failed: \(error.detail ?? error.description)")
            throw error
        }
        var object = try await savePodEIP(key, lease: lease, node: configuration.scope.node)

        if lease.phase == .allocated || (lease.phase == .inUse && lease.privateIpAddress != podIP) {
            lease = try await broker.associate(leaseID: lease.id, privateIPAddress: podIP, wait: configuration.brokerWait)
            object = try await savePodEIP(key, lease: lease, existing: object, node: configuration.scope.node)
        }
        switch lease.phase {
        case .inUse:
            break
        case .failed:
            await report(
                pod, .warning, reason: "EIPFailed", message: "the EIP lease \(lease.id) failed: \(lease.lastError ?? "unknown error")")
            throw LeaseNotSettled(leaseID: lease.id, phase: lease.phase.rawValue)
        default:
            throw LeaseNotSettled(leaseID: lease.id, phase: lease.phase.rawValue)
        }

        if let address = lease.ipAddress, pod.metadata.annotations[PodAnnotation.allocatedAddress] != address {
            _ = try await client.patchMetadata(
                Pod.self, namespace: key.namespace, name: key.name, MetadataPatch(annotations: [PodAnnotation.allocatedAddress: address])
            )
        }
        if pod.hasReadinessGate(PodAnnotation.readinessGate), pod.condition(PodAnnotation.readinessGate)?.status != "True" {
            _ = try await client.patchPodConditions(
                namespace: key.namespace, name: key.name,
                [
                    PodCondition(
                        type: PodAnnotation.readinessGate, status: "True", reason: PodAnnotation.readinessGateReason,
                        message: "EIP \(lease.ipAddress ?? "") is associated with \(podIP)", lastTransitionTime: Date()
                    )
                ])
        }
        logger.debug("pod has its EIP", metadata: ["pod": "\(key)", "lease": "\(lease.id)", "address": "\(lease.ipAddress ?? "-")"])
    }

    /// The pod `key` has exited or is gone: releases its lease through the broker (which applies
    /// the release strategy), then lifts the finalizer of its PodEIP and deletes it once the lease
    /// is released. A retained lease (TTL, Never) keeps its PodEIP, showing the lease, until
    /// someone deletes the PodEIP: that ends the lease at once (a forced release), as ACK has
    /// Never ended. A PodEIP deleted while its pod runs waits for the pod to exit.
    func release(_ key: ObjectKey) async throws {
        let object: PodEIPObject
        do {
            object = try await client.get(PodEIPObject.self, namespace: key.namespace, name: key.name)
        } catch let error as KubernetesAPIError where error.code == .notFound {
            return
        }
        guard object.metadata.finalizers.contains(PodEIP.finalizer) else { return }
        var lease: BrokerLease?
        if let leaseID = object.metadata.annotations[Self.leaseAnnotation] {
            do {
                let deleted = object.metadata.deletionTimestamp != nil
                lease = try await broker.release(leaseID: leaseID, force: deleted, wait: configuration.brokerWait)
            } catch let error as BrokerClientError where error.code == .notFound {
                lease = nil
            }
        }
        if let lease, lease.phase != .released {
            _ = try await savePodEIP(key, lease: lease, existing: object)
            if lease.phase == .allocated { return } // retained by its release strategy
            throw LeaseNotSettled(leaseID: lease.id, phase: lease.phase.rawValue)
        }
        // The release may have waited: a pod of the same name may have come back meanwhile (on
        // another node, say) and the PodEIP now shows its new lease. Only the PodEIP of the
        // lease just released is taken down, and only as it was read here.
        let current: PodEIPObject
        do {
            current = try await client.get(PodEIPObject.self, namespace: key.namespace, name: key.name)
        } catch let error as KubernetesAPIError where error.code == .notFound {
            return
        }
        guard current.metadata.annotations[Self.leaseAnnotation] == object.metadata.annotations[Self.leaseAnnotation] else { return }
        let lifted = try await client.patchMetadata(
            PodEIPObject.self, namespace: key.namespace, name: key.name,
            MetadataPatch(finalizers: current.metadata.finalizers.filter { $0 != PodEIP.finalizer })
        )
        do {
            try await client.delete(
                PodEIPObject.self, namespace: key.namespace, name: key.name,
                preconditions: DeletePreconditions(uid: lifted.metadata.uid, resourceVersion: lifted.metadata.resourceVersion))
        } catch let error as KubernetesAPIError where error.code == .notFound {}
        logger.debug("released the pod's EIP", metadata: ["pod": "\(key)"])
    }

    /// Creates or updates the PodEIP of `key` to show `lease`, with the agent's finalizer, and
    /// labelled with `node` when given: in node mode the label follows the pod, so a pod of the
    /// same name scheduled on another node is that node's agent's to resync (and no longer the
    /// dead-node sweep's).
    private func savePodEIP(_ key: ObjectKey, lease: BrokerLease, existing: PodEIPObject? = nil, node: String? = nil) async throws
        -> PodEIPObject
    {
        let shown = PodEIP(brokerLease: lease)
        var object: PodEIPObject
        if let existing {
            object = existing
        } else {
            do {
                object = try await client.get(PodEIPObject.self, namespace: key.namespace, name: key.name)
            } catch let error as KubernetesAPIError where error.code == .notFound {
                var created = PodEIPObject(namespace: key.namespace, name: key.name, podEIP: shown)
                created.metadata.finalizers = [PodEIP.finalizer]
                created.metadata.annotations[Self.leaseAnnotation] = lease.id
                if let node { created.metadata.labels[AgentScope.nodeLabel] = node }
                object = try await client.create(created)
            }
        }
        if object.spec != shown.spec || !object.metadata.finalizers.contains(PodEIP.finalizer)
            || object.metadata.annotations[Self.leaseAnnotation] != lease.id
            || (node != nil && object.metadata.labels[AgentScope.nodeLabel] != node)
        {
            object.spec = shown.spec
            if !object.metadata.finalizers.contains(PodEIP.finalizer) { object.metadata.finalizers.append(PodEIP.finalizer) }
            object.metadata.annotations[Self.leaseAnnotation] = lease.id
            if let node { object.metadata.labels[AgentScope.nodeLabel] = node }
            object = try await client.update(object)
        }
        if object.status != shown.status {
            object.status = shown.status
            object = try await client.updateStatus(object)
        }
        return object
    }

    /// Sends an Event of `type` about `pod`, once per pod, reason and message.
    func report(_ pod: Pod, _ type: EventType, reason: String, message: String) async {
        let key = "\(pod.metadata.uid ?? pod.metadata.name)|\(reason)|\(message)"
        guard reported.withLock({ $0.insert(key).inserted }) else { return }
        logger.log(level: type == .warning ? .warning : .info, "\(message)", metadata: ["pod": "\(pod.key)", "reason": "\(reason)"])
        var host: String?
        if case .node(let node) = configuration.scope { host = node }
        let event = KubernetesEvent(
            regarding: pod, type: type, reason: reason, message: message, component: configuration.component, host: host)
        do {
            _ = try await client.create(event)
        } catch {
            reported.withLock { _ = $0.remove(key) }
            logger.warning("cannot create an Event", metadata: ["pod": "\(pod.key)", "error": "\(error)"])
        }
    }
}

/// A lease is still on its way (or failed): the pod is tried again later.
struct LeaseNotSettled: Error, CustomStringConvertible {
    var leaseID: String
    var phase: String
    var description: String { "lease \(leaseID) is \(phase)" }
}
