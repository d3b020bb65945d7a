import EIPCloud
public import EIPCloudSimulated
public import EIPSQL
import Synchronization

/// A running emulator's in-process handle: the simulated cloud behind it, the faults to inject
/// (the emulator's and the simulated cloud's), the counters, and where it listens.
///
/// Made by ``buildEmulator(configuration:logger:onReady:)``; ``InProcessCloudEmulator`` starts
/// one on a free port for tests.
///
/// ```swift
/// emulator.faults.dropResponseNext("AllocateEipAddress")
/// emulator.cloudFaults.failNext(.associate, with: SimulatedCloud.Faults.throttling)
/// #expect(emulator.stats.throttled(of: "AllocateEipAddress") == 0)
/// ```
public final class CloudEmulator: Sendable {
    public let configuration: EmulatorConfiguration
    /// The simulated cloud that holds the account's EIPs and ENIs.
    public let cloud: SimulatedCloud
    /// Faults injected at the HTTP level (latency, 503, lost responses, throttling).
    public let faults: EmulatorFaults
    /// Requests, throttled refusals, errors and issued credentials counted so far.
    public let stats: EmulatorStats
    /// Every change the VPC actions made (allocations, associations, releases), in order.
    public let journal: EmulatorJournal

    let issuer: CredentialIssuer
    let nonces: NonceRegistry
    let metadata: MetadataService
    private let listening = Mutex<Int?>(nil)

    /// The simulated cloud's own faults and call counts (by ``SimulatedCloud/Action``).
    public var cloudFaults: SimulatedCloud.Faults { cloud.faults }

    /// The database the simulated cloud keeps its state in.
    public var database: any SQLDatabase { cloud.database }

    /// The port the server listens on, once it does (the chosen one when configured with 0).
    public var port: Int? { listening.withLock { $0 } }

    /// `http://HOST:PORT`, once the server listens: the endpoint for VPC, ECS, STS and the
    /// metadata service alike.
    public var url: String? {
        port.map { port in
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            return "http://\(host):\(port)"
        }
    }

    /// STS credentials issued so far (metadata service and `AssumeRoleWithOIDC`).
    public var issuedCredentialCount: Int { stats.issuedCredentials }

    /// Makes every STS credential issued so far expire now: calls signed with them get
    /// `InvalidSecurityToken.Expired`, and the metadata service hands out new ones.
    public func expireIssuedCredentials() {
        issuer.expireAll()
    }

    init(configuration: EmulatorConfiguration, database: any SQLDatabase) {
        self.configuration = configuration
        cloud = SimulatedCloud(
            account: configuration.account, database: database,
            configuration: SimulatedCloud.Configuration(
                quota: configuration.eipQuota, settleDelay: configuration.settleDelay, vpcs: configuration.vpcs)
        )
        faults = EmulatorFaults(
            latency: configuration.latency, failRate: configuration.failRate, dropResponseRate: configuration.dropResponseRate,
            throttles: configuration.throttles
        )
        stats = EmulatorStats()
        journal = EmulatorJournal()
        issuer = CredentialIssuer(stats: stats, clock: configuration.clock)
        nonces = NonceRegistry(retention: configuration.nonceRetention)
        metadata = MetadataService(configuration: configuration, issuer: issuer, stats: stats)
    }

    func setListening(port: Int) {
        listening.withLock { $0 = port }
    }
}
