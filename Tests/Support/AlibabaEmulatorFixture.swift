import EIPBroker
import EIPCloudEmulator
import EIPCloudSimulated
import EIPCore
import Foundation
import Logging

@testable import EIPCloud

/// An emulator on a free loopback port for one test, and providers pointed at it that log into
/// one ``CapturedLogs``.
struct AlibabaEmulatorFixture: Sendable {
    /// The region the providers default to.
    static let region = "cn-hangzhou"

    let running: InProcessCloudEmulator
    let logs: CapturedLogs

    var emulator: CloudEmulator { running.emulator }
    /// The simulated cloud behind the emulator, for a test to look at or set up directly.
    var cloud: SimulatedCloud { running.emulator.cloud }
    var url: URL { URL(string: running.url)! }

    /// Starts an emulator (in-memory SQLite, a short settle delay), runs `body`, stops it.
    static func with<Result>(
        configure: (inout EmulatorConfiguration) -> Void = { _ in }, _ body: (AlibabaEmulatorFixture) async throws -> Result
    ) async throws -> Result {
        var configuration = EmulatorConfiguration()
        configuration.port = 0
        configuration.settleDelay = .milliseconds(50)
        configure(&configuration)
        let running = try await InProcessCloudEmulator.start(
            configuration: configuration, logger: Logger(label: "emulator", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let fixture = AlibabaEmulatorFixture(running: running, logs: CapturedLogs())
        do {
            let result = try await body(fixture)
            await running.stop()
            return result
        } catch {
            await running.stop()
            throw error
        }
    }

    /// The provider's configuration for this emulator: its access key (unless told otherwise),
    /// every endpoint on it, quick retries and settling, and a bound on one call that a loaded
    /// machine cannot reach (the emulator's lost answers come back as errors, never as silence).
    func configuration(credentials: AlibabaCredentialSource? = nil) -> AlibabaCloudProvider.Configuration {
        AlibabaCloudProvider.Configuration(
            account: "emulated", defaultRegion: Self.region,
            credentials: credentials ?? .accessKey(id: emulator.configuration.accessKeyID, secret: emulator.configuration.accessKeySecret),
            endpoints: .all(at: url), rpc: AlibabaRPCClient.Configuration(timeout: .seconds(60)),
            retryPolicy: AlibabaRetryPolicy(baseDelay: .milliseconds(10), maximumDelay: .milliseconds(500), maximumElapsed: .seconds(30)),
            settle: SettlePolicy(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(100), timeout: .seconds(30))
        )
    }

    /// Runs `body` with a broker on a fresh database of `backend` whose only account, `aliyun`,
    /// is this emulator's, and stops the broker after.
    func withBroker<Result: Sendable>(_ backend: Backend, _ body: (TestBroker) async throws -> Result) async throws -> Result {
        var account = configuration()
        account.account = "aliyun"
        let settings = account
        return try await TestDatabase.with(backend) { db in
            let broker = try await TestBroker.start(databaseURL: db.url) { $0.accounts = [.alibaba(settings)] }
            do {
                let result = try await body(broker)
                await broker.stop()
                return result
            } catch {
                await broker.stop()
                throw error
            }
        }
    }

    func provider(
        credentials: AlibabaCredentialSource? = nil, clock: WallClock = .system,
        _ adjust: (inout AlibabaCloudProvider.Configuration) -> Void = { _ in }
    ) -> AlibabaCloudProvider {
        var configuration = configuration(credentials: credentials)
        adjust(&configuration)
        return AlibabaCloudProvider(configuration: configuration, clock: clock, logger: logs.logger(level: .trace))
    }

    /// Polls (bounded) until the EIP has `status`.
    func waitForStatus(_ status: String, of allocationID: String, vpc: AlibabaVPCClient) async throws -> AlibabaEIPAddress {
        let settle = SettlePolicy(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(100), timeout: .seconds(30))
        return try await settle.wait(for: "\(allocationID) becoming \(status)") {
            let eip = try await vpc.describeEipAddresses(.init(allocationIDs: [allocationID]), region: Self.region)
                .eipAddresses.first
            return eip?.status == status ? .settled(eip!) : .pending
        }
    }
}
