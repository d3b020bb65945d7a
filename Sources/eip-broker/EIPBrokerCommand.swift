import ArgumentParser
import EIPBroker
import EIPCore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// `eip-broker`: with no arguments, serves the quickstart (SQLite file, simulated cloud, demo
/// pool) on 127.0.0.1:8080.
@main
struct EIPBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eip-broker",
        abstract: "One broker for the elastic public IPs of many Kubernetes clusters.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}

/// `eip-broker serve`: every option also reads an `EIPBROKER_*` environment variable.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the broker API (the default).")

    @Option(help: "Address to listen on [env: EIPBROKER_HOST] (default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on [env: EIPBROKER_PORT] (default: 8080)")
    var port: Int?

    @Option(help: "postgres://user:password@host:port/db, or a SQLite file [env: EIPBROKER_DATABASE_URL] (default: ./eip-broker.sqlite)")
    var databaseURL: String?

    @Option(
        help:
            "Seconds a PostgreSQL transaction may take, connection wait included, before it answers 503 [env: EIPBROKER_DATABASE_TIMEOUT] (default: 10)"
    )
    var databaseTimeout: Int?

    @Option(help: "Bootstrap admin token, at least 16 characters [env: EIPBROKER_ADMIN_TOKEN] (default: generated once and printed)")
    var adminToken: String?

    @Option(help: "PEM certificate chain for TLS (h2 with ALPN) [env: EIPBROKER_TLS_CERT]")
    var tlsCert: String?

    @Option(help: "PEM private key for TLS [env: EIPBROKER_TLS_KEY]")
    var tlsKey: String?

    @Option(help: "YAML file of cloud accounts (see README) [env: EIPBROKER_ACCOUNTS_FILE] (default: the simulated cloud 'sim')")
    var accountsFile: String?

    @Option(
        help: "Seed a demo cluster and pool on first start: true or false [env: EIPBROKER_SEED_DEMO] (default: true without --database-url)"
    )
    var seedDemo: Bool?

    @Option(help: "Requests each token may send: '50/s', '50/s,burst=100' or 'off' [env: EIPBROKER_TOKEN_RATE] (default: 50/s,burst=100)")
    var tokenRate: String?

    @Option(
        help:
            "Requests without a valid token, per source address: '5/s,burst=20' or 'off' [env: EIPBROKER_UNAUTHENTICATED_RATE] (default: 5/s,burst=20)"
    )
    var unauthenticatedRate: String?

    @Option(help: "Seconds a connection may stay silent before it is closed [env: EIPBROKER_IDLE_TIMEOUT] (default: 60)")
    var idleTimeout: Int?

    @Option(help: "Seconds a client may take to send a request's headers [env: EIPBROKER_HEADER_TIMEOUT] (default: 10)")
    var headerTimeout: Int?

    @Option(help: "Seconds a client may take to send a request's body [env: EIPBROKER_BODY_TIMEOUT] (default: 30)")
    var bodyTimeout: Int?

    @Option(
        help:
            "Seconds between drift passes comparing the cloud's broker-tagged EIPs with the books [env: EIPBROKER_DRIFT_INTERVAL] (default: 60)"
    )
    var driftInterval: Int?

    @Option(
        help:
            "Seconds an EIP must be in the cloud and not in the books before it is adopted or released [env: EIPBROKER_DRIFT_ORPHAN_GRACE] (default: 600)"
    )
    var driftOrphanGrace: Int?

    @Option(
        help:
            "Seconds without a heartbeat before a cluster holding leases is reported silent (its leases are kept) [env: EIPBROKER_SILENT_CLUSTER_AFTER] (default: 300)"
    )
    var silentClusterAfter: Int?

    @Option(help: "Most connections open at once, lowered to fit the open-file limit [env: EIPBROKER_MAX_CONNECTIONS] (default: 10000)")
    var maxConnections: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical [env: EIPBROKER_LOG_LEVEL] (default: info)")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let setting = CommandSettings(environment: environment).value

        var configuration = BrokerConfiguration()
        configuration.host = setting(host, "EIPBROKER_HOST") ?? configuration.host
        if let text = setting(port.map(String.init), "EIPBROKER_PORT") {
            guard let value = Int(text), (0...65535).contains(value) else {
                throw ValidationError("--port / EIPBROKER_PORT must be a port number (got '\(text)')")
            }
            configuration.port = value
        }
        let databaseURL = setting(databaseURL, "EIPBROKER_DATABASE_URL")
        configuration.databaseURL = databaseURL ?? configuration.databaseURL
        configuration.adminToken = setting(adminToken, "EIPBROKER_ADMIN_TOKEN")
        configuration.tlsCertificatePath = setting(tlsCert, "EIPBROKER_TLS_CERT")
        configuration.tlsKeyPath = setting(tlsKey, "EIPBROKER_TLS_KEY")
        if let path = setting(accountsFile, "EIPBROKER_ACCOUNTS_FILE") {
            configuration.accounts = try BrokerConfiguration.accounts(fromFile: path, environment: environment)
        }
        if let text = setting(seedDemo.map { String($0) }, "EIPBROKER_SEED_DEMO") {
            guard let value = Bool(text) else {
                throw ValidationError("--seed-demo / EIPBROKER_SEED_DEMO must be true or false (got '\(text)')")
            }
            configuration.seedDemo = value
        } else {
            configuration.seedDemo = databaseURL == nil
        }
        for (option, variable, flag, rate) in [
            (tokenRate, "EIPBROKER_TOKEN_RATE", "--token-rate", \BrokerConfiguration.tokenRate),
            (unauthenticatedRate, "EIPBROKER_UNAUTHENTICATED_RATE", "--unauthenticated-rate", \BrokerConfiguration.unauthenticatedRate),
        ] {
            guard let text = setting(option, variable) else { continue }
            guard let value = RequestRate(parsing: text) else {
                throw ValidationError("\(flag) / \(variable) must be like '50/s', '50/s,burst=100' or 'off' (got '\(text)')")
            }
            configuration[keyPath: rate] = value
        }
        for (option, variable, flag, timeout) in [
            (idleTimeout, "EIPBROKER_IDLE_TIMEOUT", "--idle-timeout", \BrokerConfiguration.idleTimeout),
            (headerTimeout, "EIPBROKER_HEADER_TIMEOUT", "--header-timeout", \BrokerConfiguration.headerTimeout),
            (bodyTimeout, "EIPBROKER_BODY_TIMEOUT", "--body-timeout", \BrokerConfiguration.bodyTimeout),
            (databaseTimeout, "EIPBROKER_DATABASE_TIMEOUT", "--database-timeout", \BrokerConfiguration.databaseTimeout),
            (driftInterval, "EIPBROKER_DRIFT_INTERVAL", "--drift-interval", \BrokerConfiguration.driftInterval),
            (driftOrphanGrace, "EIPBROKER_DRIFT_ORPHAN_GRACE", "--drift-orphan-grace", \BrokerConfiguration.driftOrphanGrace),
            (silentClusterAfter, "EIPBROKER_SILENT_CLUSTER_AFTER", "--silent-cluster-after", \BrokerConfiguration.silentClusterAfter),
        ] {
            guard let text = setting(option.map(String.init), variable) else { continue }
            guard let value = Int(text), (1...86_400).contains(value) else {
                throw ValidationError("\(flag) / \(variable) must be 1 to 86400 seconds (got '\(text)')")
            }
            configuration[keyPath: timeout] = .seconds(value)
        }
        if let text = setting(maxConnections.map(String.init), "EIPBROKER_MAX_CONNECTIONS") {
            guard let value = Int(text), (1...1_000_000).contains(value) else {
                throw ValidationError("--max-connections / EIPBROKER_MAX_CONNECTIONS must be 1 to 1000000 (got '\(text)')")
            }
            configuration.maximumConnections = value
        }
        let levelText = setting(logLevel, "EIPBROKER_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got '\(levelText)')")
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "eip-broker")

        let settings = configuration
        let app = try await buildApplication(configuration: settings, logger: logger, metrics: registry) { ready in
            FileHandle.standardOutput.write(Data((Self.banner(ready, configuration: settings) + "\n").utf8))
        }
        try await app.runService()
    }

    /// What the broker prints once it listens: where, the admin token when it made one, and a
    /// curl command that works as printed.
    static func banner(_ ready: BrokerReadyInfo, configuration: BrokerConfiguration) -> String {
        var lines = [
            "eip-broker listening on \(ready.url) (\(ready.url.hasPrefix("https") ? "h2 and HTTP/1.1 over TLS" : "HTTP/1.1 and h2c"))"
        ]
        lines.append(
            "books: \(configuration.databaseURL.hasPrefix("postgres") ? "PostgreSQL" : "SQLite \(configuration.databaseURL)"); cloud accounts: \(configuration.accounts.map(\.name).joined(separator: ", "))"
        )
        if ready.seededDemo { lines.append("seeded the demo cluster 'demo' and pool 'demo' (simulated cloud)") }
        let token: String
        if let generated = ready.generatedAdminToken {
            lines.append("admin token (shown only now; stored hashed): \(generated)")
            token = generated
        } else {
            lines.append("admin token: the configured one (EIPBROKER_ADMIN_TOKEN / --admin-token) or the one printed at first start")
            token = "$EIPBROKER_ADMIN_TOKEN"
        }
        let insecure = ready.url.hasPrefix("https") ? "-k " : ""
        lines.append("try:")
        lines.append("  curl \(insecure)-H \"Authorization: Bearer \(token)\" \(ready.url)/v1/pools")
        lines.append(
            "  curl \(insecure)-H \"Authorization: Bearer \(token)\" -H 'Content-Type: application/json' \(ready.url)/v1/leases?wait=10 \\")
        lines.append(
            "       -d '{\"cluster\":\"demo\",\"namespace\":\"default\",\"pod\":\"web-0\",\"podUid\":\"5f1c0e4e\",\"pool\":\"demo\"}'")
        return lines.joined(separator: "\n")
    }
}
