import EIPAgent
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A fake Kubernetes API server on a loopback port, speaking the real wire format for what the
/// agent uses: pods (list with paging, chunked watch streams with bookmarks, merge and strategic
/// merge patches, the status subresource), PodEIPs (a custom resource with a status
/// subresource and finalizers), Events and Leases. `409 Conflict` on a stale resource version,
/// `410 Gone` on an expired one, `Status` bodies on every failure.
///
/// Tests change its objects directly (``withStore(_:)``, ``createPod(_:)``), and break it on
/// purpose: cut watch streams (even mid-event), expire resource versions, refuse a token.
///
/// ```swift
/// try await FakeKubernetes.with { fake in
///     let client = try fake.client()
///     fake.createPod(Pod(metadata: ObjectMeta(name: "web-0", namespace: "default")))
///     ...
/// }
/// ```
final class FakeKubernetes: Sendable {
    private let store = Mutex(FakeKubernetesStore())
    private let server = Mutex<Server?>(nil)
    let logs = CapturedLogs()
    /// The cluster CA and server certificate, when the fake serves TLS.
    let certificate: FakeKubernetesCertificates?

    private struct Server: Sendable {
        var url: String
        var group: ServiceGroup
        var task: Task<Void, any Error>
    }

    private init(certificate: FakeKubernetesCertificates?) {
        self.certificate = certificate
    }

    /// `http://127.0.0.1:<port>`, or `https://` when serving TLS (h2 or HTTP/1.1 by ALPN).
    var url: String { server.withLock { $0?.url ?? "" } }

    /// Starts a fake on a free loopback port; with `tls`, over TLS with a fresh certificate.
    static func start(tls: Bool = false) async throws -> FakeKubernetes {
        let certificate = tls ? try FakeKubernetesCertificates.make() : nil
        let fake = FakeKubernetes(certificate: certificate)
        var logger = Logger(label: "fake-kubernetes")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server: HTTPServerBuilder
        if let certificate {
            server = try .http2Upgrade(tlsConfiguration: try certificate.serverTLSConfiguration())
        } else {
            server = .http1()
        }
        let app = Application(
            responder: FakeKubernetesResponder(fake: fake),
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            throw FakeKubernetesStartFailed()
        }
        fake.server.withLock {
            $0 = Server(url: "\(tls ? "https" : "http")://127.0.0.1:\(port)", group: group, task: task)
        }
        return fake
    }

    /// Ends every watch and stops the server.
    func stop() async {
        store.withLock { $0.stop() }
        guard let server = server.withLock({ $0 }) else { return }
        await server.group.triggerGracefulShutdown()
        _ = try? await server.task.value
    }

    /// Runs `body` with a fresh fake, then stops it.
    static func with<Result: Sendable>(tls: Bool = false, _ body: (FakeKubernetes) async throws -> Result) async throws -> Result {
        let fake = try await start(tls: tls)
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// The configuration of a client of this fake (trusting its certificate when it has one).
    func configuration(credentials: KubernetesCredentials = .none) -> KubernetesConfiguration {
        KubernetesConfiguration(
            server: URL(string: url)!, credentials: credentials,
            tls: KubernetesTLS(certificateAuthorityPEM: certificate.map { Data($0.certificateAuthorityPEM.utf8) })
        )
    }

    /// Runs `body` with a client of this fake whose logs land in ``logs``, then shuts it down.
    func withClient<Result>(
        credentials: KubernetesCredentials = .none, options: KubernetesClientOptions = KubernetesClientOptions(),
        _ body: (KubernetesClient) async throws -> Result
    ) async throws -> Result {
        try await withKubernetesClient(configuration(credentials: credentials), options: options, logs: logs, body)
    }

    // MARK: Direct access for tests

    /// Reads or changes the state under its lock: changes made in one call are seen by watches
    /// one by one, but no request runs in between.
    @discardableResult
    func withStore<Value>(_ body: (inout FakeKubernetesStore) throws -> Value) rethrows -> Value {
        try store.withLock { try body(&$0) }
    }

    /// Creates `pod` with its status as given (as the scheduler and kubelet would have set it).
    @discardableResult
    func createPod(_ pod: Pod) throws -> Pod {
        try withStore { store in
            try store.create(.pods, namespace: pod.metadata.namespace, body: try FakeJSON.of(pod), keepStatus: true)
        }.decode(Pod.self)
    }

    /// Changes pod `name` as the kubelet or a user would (status included).
    @discardableResult
    func modifyPod(_ namespace: String, _ name: String, _ change: (inout FakeJSON) -> Void) throws -> Pod {
        try withStore { store in
            guard let old = store.object(.pods, namespace, name) else { throw FakeStatusError.notFound(.pods, name) }
            var new = old
            change(&new)
            return store.commit(.pods, "MODIFIED", key: FakeKubernetesStore.key(namespace, name), object: new, previous: old)
        }.decode(Pod.self)
    }

    /// Deletes pod `name` as `kubectl delete pod` does: a pod running on a node is only marked
    /// with a `deletionTimestamp` for its grace period (30 s unless given), and stays until its
    /// kubelet is done (``finishPodDeletion(_:_:)``); a grace period of 0 deletes it at once.
    func deletePod(_ namespace: String, _ name: String, gracePeriodSeconds: Int64? = nil) throws {
        let options: FakeJSON? = gracePeriodSeconds.map { .object(["gracePeriodSeconds": .int($0)]) }
        _ = try withStore { try $0.delete(.pods, namespace: namespace, name: name, options: options) }
    }

    /// Deletes pod `name` the whole way: the user's delete, then its kubelet stopping the
    /// containers and removing the object.
    func terminatePod(_ namespace: String, _ name: String) throws {
        try deletePod(namespace, name)
        if try object(Pod.self, .pods, namespace, name) != nil { try finishPodDeletion(namespace, name) }
    }

    /// What the kubelet does once a terminating pod's containers have stopped: reports every
    /// container terminated, then deletes the pod with a grace period of 0.
    func finishPodDeletion(_ namespace: String, _ name: String) throws {
        try modifyPod(namespace, name) { pod in
            let names = (pod.value(at: "status.containerStatuses")?.array ?? []).compactMap { $0.value(at: "name")?.string }
            let statuses = (names.isEmpty ? ["main"] : names).map { name -> FakeJSON in
                .object(["name": .string(name), "state": .object(["terminated": .object(["exitCode": .int(0), "reason": "Completed"])])])
            }
            pod.set("status.containerStatuses", .array(statuses))
        }
        try deletePod(namespace, name, gracePeriodSeconds: 0)
    }

    /// Registers node `name`, `Ready` or not, as its kubelet would.
    func createNode(_ name: String, ready: Bool = true) throws {
        let node = Node(metadata: ObjectMeta(name: name), status: NodeStatus(conditions: [Self.readyCondition(ready)]))
        try withStore { store in _ = try store.create(.nodes, namespace: nil, body: try FakeJSON.of(node), keepStatus: true) }
    }

    /// Sets node `name`'s `Ready` condition, as its kubelet (`True`) or the node controller
    /// after the kubelet went silent (`Unknown`) would.
    func setNodeReady(_ name: String, _ ready: Bool) throws {
        try withStore { store in
            guard let old = store.object(.nodes, nil, name) else { throw FakeStatusError.notFound(.nodes, name) }
            var new = old
            new.set("status.conditions", .array([try FakeJSON.of(Self.readyCondition(ready))]))
            store.commit(.nodes, "MODIFIED", key: FakeKubernetesStore.key(nil, name), object: new, previous: old)
        }
    }

    /// Deletes node `name`, as `kubectl delete node` (or the cloud's node controller) does.
    func deleteNode(_ name: String) throws {
        _ = try withStore { try $0.delete(.nodes, namespace: nil, name: name, options: nil) }
    }

    private static func readyCondition(_ ready: Bool) -> NodeCondition {
        NodeCondition(type: "Ready", status: ready ? "True" : "Unknown")
    }

    /// The stored object, decoded.
    func object<Object: Decodable>(_ type: Object.Type, _ resource: FakeResource, _ namespace: String?, _ name: String) throws -> Object? {
        try withStore { $0.object(resource, namespace, name) }?.decode(Object.self)
    }

    /// The requests seen so far.
    var requests: [FakeKubernetesStore.RequestRecord] { withStore { $0.requests } }

    /// The watch requests seen so far.
    var watchRequests: [FakeKubernetesStore.RequestRecord] {
        requests.filter { $0.method == "GET" && ["1", "true"].contains($0.query["watch"] ?? "") }
    }

    /// How many watches are open.
    var openWatches: Int { withStore { $0.watchers.count } }

    func removeWatcher(_ id: UUID) {
        _ = withStore { $0.watchers.removeValue(forKey: id) }
    }
}

struct FakeKubernetesStartFailed: Error {}

/// Runs `body` with a client of `configuration`, and shuts the client down however `body` ends
/// (an HTTP client dropped while running stops a debug build).
func withKubernetesClient<Result>(
    _ configuration: KubernetesConfiguration, options: KubernetesClientOptions = KubernetesClientOptions(), logs: CapturedLogs,
    _ body: (KubernetesClient) async throws -> Result
) async throws -> Result {
    let client = try KubernetesClient(configuration: configuration, options: options, logger: logs.logger(level: .trace))
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
