import EIPAPI
import EIPCloud
public import EIPCore
import EIPSQL
import EIPStore
import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
public import Logging
import NIOCore
import NIOSSL
import OpenAPIHummingbird
public import Prometheus
import ServiceLifecycle
import Synchronization

/// What the broker reports once it is listening: where, and the admin token if it made one.
public struct BrokerReadyInfo: Sendable {
    /// `http://127.0.0.1:8080` or `https://...`.
    public var url: String
    public var port: Int
    /// The admin token generated at this start, shown once; `nil` when one was configured or stored.
    public var generatedAdminToken: String?
    /// Whether the demo cluster and pool were created at this start.
    public var seededDemo: Bool
}

/// Builds the broker: the database, the cloud accounts, the reconciler and pool keeper, and the
/// HTTP server (HTTP/1.1 and h2c on one port, or h2 and HTTP/1.1 over TLS).
///
/// Migrations, the bootstrap admin token and the demo seed run before the server accepts
/// connections; the background loops wait for them.
/// - Parameters:
///   - configuration: Where to listen and what to use.
///   - clock: The time the books' rules read (TTLs, claims, heartbeats): the system's clock
///     unless a test moves one by hand.
///   - logger: The broker's logger; tokens and cloud keys are never logged.
///   - metrics: The registry `/metrics` exports.
///   - onReady: Called once the server listens.
public func buildApplication(
    configuration: BrokerConfiguration, clock: WallClock = .system, logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    onReady: @escaping @Sendable (BrokerReadyInfo) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let location = try DatabaseURL(configuration.databaseURL)
    let database = try await location.open(timeout: configuration.databaseTimeout, logger: logger)
    var services: [any Service] = [database]

    let store = BrokerStore(database: database, clock: clock)
    let accounts = CloudAccounts(configuration: configuration.accounts, database: database, logger: logger)
    let signal = WorkSignal()
    let started = StartupLatch()
    services.append(
        AfterStartup(
            latch: started,
            service: LeaseReconciler(
                store: store, accounts: accounts, signal: signal, workers: configuration.reconcilerWorkers,
                pollInterval: configuration.pollInterval, brokerID: configuration.brokerID, logger: logger,
                failures: FailureStreak(loop: "lease reconciler", logger: logger)
            ))
    )
    services.append(
        AfterStartup(
            latch: started,
            service: PoolKeeper(
                store: store, accounts: accounts, signal: signal, interval: configuration.poolKeeperInterval,
                idempotencyRetention: configuration.idempotencyRetention, silentClusterAfter: configuration.silentClusterAfter,
                brokerID: configuration.brokerID, logger: logger,
                failures: FailureStreak(loop: "pool keeper", logger: logger)
            ))
    )
    services.append(
        AfterStartup(
            latch: started,
            service: DriftKeeper(
                store: store, accounts: accounts, signal: signal, interval: configuration.driftInterval,
                orphanGrace: configuration.driftOrphanGrace,
                brokerID: configuration.brokerID, logger: logger, failures: FailureStreak(loop: "drift repair", logger: logger)
            ))
    )

    let router = Router(context: BrokerRequestContext.self)
    // Outermost first: the request id is on every answer and log line; metrics and request logs
    // see the final answer, after errors became problems.
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    let routes = RouteMethods()
    router.add(middleware: ProblemMiddleware(routes: routes))
    // The API proper: a token first (before any body is read), then the body, bounded, then
    // the idempotency keys of the operations that take one.
    let v1 = router.group("v1")
        .add(
            middleware: AuthMiddleware(
                store: store, tokenLimiter: RequestRateLimiter(rate: configuration.tokenRate),
                sourceLimiter: RequestRateLimiter(rate: configuration.unauthenticatedRate)
            )
        )
        .add(middleware: BodyLimitMiddleware(maximumSize: configuration.maximumBodySize))
        .add(middleware: IdempotencyMiddleware(store: store))
    let api = BrokerAPI(
        store: store, accounts: accounts, signal: signal,
        waiter: LeaseWaiter(store: store, signal: signal, pollInterval: configuration.pollInterval),
        configuration: configuration, metrics: metrics
    )
    try api.registerHandlers(on: APIRoutes(router: router, v1: v1))
    routes.record(router.routes)

    let softLimit = FileDescriptorLimit.raiseSoftLimit()
    let registry = ConnectionRegistry(
        maximum: FileDescriptorLimit.connectionLimit(configured: configuration.maximumConnections, softLimit: softLimit), logger: logger
    )
    logger.info(
        "Accepting at most \(registry.maximum) connections", metadata: ["open-file-limit": "\(softLimit.map(String.init) ?? "unknown")"])
    let connections = HTTP2ChannelConfiguration(
        idleTimeout: configuration.idleTimeout,
        streamConfiguration: HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestDeadlineHandler(
                    headerTimeout: configuration.headerTimeout, bodyTimeout: configuration.bodyTimeout, registry: registry, logger: logger)
            ],
            idleTimeout: TimeAmount(configuration.idleTimeout)
        )
    )
    @Sendable func bounded(_ base: some ServerChildChannel) -> any ServerChildChannel {
        BoundedConnectionChannel(base: base, registry: registry, firstRequestTimeout: configuration.headerTimeout)
    }
    let server: HTTPServerBuilder
    let scheme: String
    if let certificatePath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        server = HTTPServerBuilder { responder in
            bounded(try HTTP2UpgradeChannel(tlsConfiguration: tls, configuration: connections, responder: responder))
        }
        scheme = "https"
    } else if configuration.tlsCertificatePath != nil || configuration.tlsKeyPath != nil {
        throw BrokerError.invalid(
            configuration.tlsCertificatePath == nil ? "tls-cert" : "tls-key", "TLS needs both a certificate and a key")
    } else {
        server = HTTPServerBuilder { responder in bounded(HTTP1AndH2CChannel(responder: responder, configuration: connections)) }
        scheme = "http"
    }

    let bootstrap = BootstrapResult()
    var app = Application(
        router: router, server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "eip-broker",
            availableConnectionsDelegate: MaximumAvailableConnections(registry.maximum, logger: logger)
        ),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            let outcome = await bootstrap.value
            await onReady(
                BrokerReadyInfo(
                    url: "\(scheme)://\(host):\(port)", port: port, generatedAdminToken: outcome.token, seededDemo: outcome.seeded))
        },
        logger: logger
    )
    app.beforeServerStarts {
        try await store.migrate()
        try await accounts.prepare()
        try await store.placeUnlocatedClusters(
            provider: accounts.defaultAccount, region: accounts.defaultRegion(of: accounts.defaultAccount))
        let token = try await Bootstrap.adminToken(configured: configuration.adminToken, store: store)
        let seeded = configuration.seedDemo ? try await Bootstrap.seedDemo(store: store, accounts: accounts) : false
        await bootstrap.set((token, seeded))
        started.open()
    }
    return app
}

/// Runs a service once start-up (migrations) is done.
private struct AfterStartup<Wrapped: Service>: Service {
    let latch: StartupLatch
    let service: Wrapped
    func run() async throws {
        await cancelWhenGracefulShutdown { await latch.wait() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await service.run()
    }
}

/// Opened once the schema is ready.
private final class StartupLatch: Sendable {
    private let signal = WorkSignal()
    private let isOpen = Mutex(false)

    func open() {
        isOpen.withLock { $0 = true }
        signal.notify()
    }

    func wait() async {
        while !isOpen.withLock({ $0 }), !Task.isCancelled {
            await signal.wait(timeout: .milliseconds(200))
        }
    }
}

/// The outcome of start-up, handed to `onReady`.
private actor BootstrapResult {
    private var outcome: (token: String?, seeded: Bool)?
    private var waiters: [CheckedContinuation<(token: String?, seeded: Bool), Never>] = []

    func set(_ value: (token: String?, seeded: Bool)) {
        outcome = value
        for waiter in waiters { waiter.resume(returning: value) }
        waiters.removeAll()
    }

    var value: (token: String?, seeded: Bool) {
        get async {
            if let outcome { return outcome }
            return await withCheckedContinuation { waiters.append($0) }
        }
    }
}
