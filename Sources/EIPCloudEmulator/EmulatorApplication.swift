import EIPCloudSimulated
import EIPSQL
public import Hummingbird
public import Logging
import ServiceLifecycle

/// Builds the Alibaba Cloud OpenAPI emulator: one loopback server for VPC (`2016-04-28`), ECS
/// (`2014-05-26`), STS (`2015-04-01`), the ECS metadata service's RAM role endpoints, and the
/// emulator's own `/_emulator/*` endpoints, backed by a ``SimulatedCloud`` in
/// `configuration.databaseURL` (in-memory SQLite by default). Migrations run before the server
/// accepts connections.
///
/// ```swift
/// let (app, emulator) = try await buildEmulator(configuration: configuration, logger: logger)
/// try await app.runService()
/// ```
/// - Parameters:
///   - configuration: Where to listen, the account, the database and the starting faults.
///   - logger: The emulator's logger; secrets and security tokens never reach it.
///   - onReady: Called once the server listens (``CloudEmulator/port`` is then set).
/// - Returns: The application to run, and the in-process handle.
public func buildEmulator(
    configuration: EmulatorConfiguration, logger: Logger, onReady: @escaping @Sendable (CloudEmulator) async -> Void = { _ in }
) async throws -> (application: some ApplicationProtocol, emulator: CloudEmulator) {
    let location = try configuration.databaseURL.map { try DatabaseURL($0) } ?? .sqlite(path: nil)
    let database = try await location.open(logger: logger)

    let emulator = CloudEmulator(configuration: configuration, database: database)
    let router = Router(context: BasicRequestContext.self)
    let responder = RPCResponder(emulator: emulator, logger: logger)
    router.get("/") { request, _ in await responder.respond(to: request) }
    router.post("/") { request, _ in await responder.respond(to: request) }

    let metadata = emulator.metadata
    router.put("/latest/api/token") { request, _ in metadata.issueToken(request) }
    router.get("/latest/meta-data/ram/security-credentials") { request, _ in metadata.roleNames(request) }
    router.get("/latest/meta-data/ram/security-credentials/:role") { request, context in
        metadata.credentials(request, role: context.parameters.get("role") ?? "")
    }
    EmulatorControlRoutes(emulator: emulator).register(on: router)

    var app = Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "eip-cloud-emulator"),
        services: [database],
        onServerRunning: { channel in
            emulator.setListening(port: channel.localAddress?.port ?? configuration.port)
            logger.info("listening", metadata: ["url": "\(emulator.url ?? "-")", "region": "\(configuration.region)"])
            await onReady(emulator)
        },
        logger: logger
    )
    app.beforeServerStarts {
        try await SchemaMigrations.simulatedCloud.apply(to: database)
    }
    return (app, emulator)
}
