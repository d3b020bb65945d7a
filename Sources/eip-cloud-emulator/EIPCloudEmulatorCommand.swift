import ArgumentParser
import EIPCloudEmulator
import Foundation
import Hummingbird
import Logging

/// `eip-cloud-emulator`: Alibaba Cloud's VPC, ECS and STS OpenAPI and the ECS metadata service
/// on loopback, for tests. Never give it real credentials: its defaults are published test-only
/// values.
@main
struct EIPCloudEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eip-cloud-emulator",
        abstract: "Serve Alibaba Cloud's VPC/ECS/STS OpenAPI and ECS metadata on loopback, backed by a simulated cloud (tests only)."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one, printed at start).")
    var port = 8090

    @Option(help: "The access key id accepted; the default is a published test-only value.")
    var accessKeyID = EmulatorConfiguration.testAccessKeyID

    @Option(help: "The access key secret accepted; the default is a published test-only value. Never pass a real secret.")
    var accessKeySecret = EmulatorConfiguration.testAccessKeySecret

    @Option(help: "The region served; RegionId must name it.")
    var region = "cn-hangzhou"

    @Option(help: "postgres://... or a SQLite path for the simulated cloud's state (default: in-memory SQLite).")
    var databaseURL: String?

    @Option(help: "The most EIPs the account may hold (QuotaExceeded.Eip).")
    var eipQuota = 1000

    @Option(help: "How long Associating/Unassociating last, in milliseconds.")
    var settleMs = 200

    @Option(help: "Latency added to every API call, in milliseconds.")
    var latencyMs = 0

    @Option(help: "Share of API calls refused with ServiceUnavailable (503) before any change, 0 to 1.")
    var failRate = 0.0

    @Option(help: "Share of API calls that make their change, then answer ServiceUnavailable (503), 0 to 1.")
    var dropResponseRate = 0.0

    @Option(help: "A per-action rate limit ACTION=N or ACTION=N:BURST (calls per minute; repeatable), e.g. AllocateEipAddress=120.")
    var throttlePerMinute: [String] = []

    @Option(help: "Lifetime of issued STS credentials in seconds (metadata service; caps AssumeRoleWithOIDC's DurationSeconds).")
    var stsExpirySeconds: Int?

    @Flag(help: "Require a metadata session token (PUT /latest/api/token) for metadata reads.")
    var requireMetadataToken = false

    @Option(help: "The RAM role the metadata service names.")
    var roleName = "EIPBrokerRole"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be a port number (got \(port))") }
        guard (0...1).contains(failRate), (0...1).contains(dropResponseRate) else {
            throw ValidationError("--fail-rate and --drop-response-rate must be between 0 and 1")
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got '\(logLevel)')")
        }
        var configuration = EmulatorConfiguration(
            host: host, port: port, accessKeyID: accessKeyID, accessKeySecret: accessKeySecret, region: region, databaseURL: databaseURL
        )
        configuration.eipQuota = eipQuota
        configuration.settleDelay = .milliseconds(max(settleMs, 0))
        configuration.latency = .milliseconds(max(latencyMs, 0))
        configuration.failRate = failRate
        configuration.dropResponseRate = dropResponseRate
        for text in throttlePerMinute {
            guard let (action, limit) = ThrottleLimit.parse(text) else {
                throw ValidationError("--throttle-per-minute takes ACTION=N or ACTION=N:BURST with N, BURST ≥ 1 (got '\(text)')")
            }
            configuration.throttles[action] = limit
        }
        configuration.stsExpiry = stsExpirySeconds.map { .seconds(max($0, 1)) }
        configuration.requireMetadataToken = requireMetadataToken
        configuration.roleName = roleName

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "eip-cloud-emulator")
        let (app, _) = try await buildEmulator(configuration: configuration, logger: logger) { emulator in
            let line =
                "eip-cloud-emulator listening on \(emulator.url ?? "-") (region \(emulator.configuration.region); stats at /_emulator/stats)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await app.runService()
    }
}
