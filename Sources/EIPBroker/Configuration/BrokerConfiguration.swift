public import EIPCloud
public import EIPCloudSimulated
import EIPCore
import EIPStore
import Foundation

/// Everything the broker needs to start: where to listen, where the books are, which cloud
/// accounts to use, and how the background loops pace themselves.
public struct BrokerConfiguration: Sendable {
    /// Address to listen on; `127.0.0.1` by default.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (tests).
    public var port: Int = 8080
    /// `postgres://user:password@host:port/database` for PostgreSQL, or a file path (or
    /// `sqlite:///path`) for SQLite. Default: `./eip-broker.sqlite`.
    public var databaseURL: String = "eip-broker.sqlite"
    /// How long a PostgreSQL transaction may wait (for a connection, or for answers) while the
    /// server answers nothing else either, before it fails as `503 Unavailable`: bounds every
    /// request's wait while the database is away. Queued behind transactions that do get
    /// answers, one waits up to six times this.
    public var databaseTimeout: Duration = .seconds(10)
    /// The bootstrap admin token. When `nil` and no admin token is stored, one is generated.
    public var adminToken: String?
    /// PEM certificate chain and private key files; both set means h2 over TLS with ALPN.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The cloud accounts pools can name. The default has the simulated cloud, `sim`.
    public var accounts: [CloudAccountConfiguration] = [.simulated()]
    /// Tag value that marks the broker's EIPs in the cloud (`eip-broker/owner`).
    public var brokerID: String = "eip-broker"
    /// Seeds a demo cluster and pool on first start (the quickstart).
    public var seedDemo: Bool = false
    /// Reconciler workers per replica.
    public var reconcilerWorkers: Int = 16
    /// How often idle workers look for work another replica queued.
    public var pollInterval: Duration = .milliseconds(100)
    /// How often the pool keeper (warm pools, TTL expiry) runs.
    public var poolKeeperInterval: Duration = .milliseconds(250)
    /// How long after its last sighting a lease's pod may be missing from a heartbeat before the
    /// release strategy applies, so a pod created after the agent's snapshot is not released.
    public var heartbeatGrace: Duration = .seconds(30)
    /// How long a cluster holding leases may send no heartbeat before it is reported silent (an
    /// event, the `silent` field, `eip_broker_silent_clusters`); its leases are kept regardless.
    public var silentClusterAfter: Duration = .seconds(300)
    /// The longest `wait` a caller may ask for.
    public var maximumWait: Int = 60
    /// How long a connection may stay silent (between requests, or an HTTP/2 connection without
    /// open streams) before the broker closes it; before its first request ``headerTimeout`` applies.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a client may take to send a request's headers, counted from its first byte (for
    /// a connection's first request, from the connection's start, TLS handshake included).
    public var headerTimeout: Duration = .seconds(10)
    /// How long a client may take to send a request's body after its headers.
    public var bodyTimeout: Duration = .seconds(30)
    /// The most connections open at once. The broker lowers it to fit its open-file limit
    /// (keeping a quarter of it, at most 256, for everything else); at the limit it stops
    /// accepting and closes the longest-idle connection to make room.
    public var maximumConnections: Int = 10_000
    /// The largest request body accepted, in bytes.
    public var maximumBodySize: Int = 1 << 20
    /// Requests per second (sustained) and at once (burst) each token may send; `perSecond` 0
    /// turns the limit off.
    public var tokenRate = RequestRate(perSecond: 50, burst: 100)
    /// The same for requests without a valid token, per source address.
    public var unauthenticatedRate = RequestRate(perSecond: 5, burst: 20)
    /// How often one replica compares the cloud's broker-tagged EIPs with the books and repairs
    /// what drifted (see `DriftKeeper`).
    public var driftInterval: Duration = .seconds(60)
    /// How long an EIP must be seen in the cloud and not in the books before the drift pass
    /// adopts or releases it, so an allocation whose answer is being recorded is never one.
    public var driftOrphanGrace: Duration = .seconds(600)
    /// How long idempotency keys are remembered.
    public var idempotencyRetention: Duration = .seconds(24 * 3600)

    public init() {}

    /// Reads the cloud accounts from a YAML accounts file (see ``AccountsFile``), expanding
    /// `${NAME}` from `environment`.
    /// - Throws: `BrokerError.invalidArgument` naming the bad key, or the file's read error.
    public static func accounts(fromFile path: String, environment: [String: String]) throws -> [CloudAccountConfiguration] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BrokerError.invalid("accounts-file", "cannot read '\(path)': \(error.localizedDescription)")
        }
        return try AccountsFile.parse(text, environment: environment)
    }
}

/// One cloud account the broker may allocate in.
public struct CloudAccountConfiguration: Sendable {
    public enum Kind: Sendable {
        /// The simulated cloud, stored in the broker's own database.
        case simulated(latency: Duration, settleDelay: Duration, vpcs: [SimulatedVPC])
        /// An Alibaba Cloud account, reached through its signed OpenAPI.
        case alibaba(AlibabaCloudProvider.Configuration)
    }

    /// The name pools use to refer to it.
    public var name: String
    /// Region used when a request names none.
    public var defaultRegion: String
    public var kind: Kind

    public init(name: String, defaultRegion: String, kind: Kind) {
        self.name = name
        self.defaultRegion = defaultRegion
        self.kind = kind
    }

    /// An Alibaba Cloud account; its name and default region come from `configuration`.
    public static func alibaba(_ configuration: AlibabaCloudProvider.Configuration) -> Self {
        CloudAccountConfiguration(name: configuration.account, defaultRegion: configuration.defaultRegion, kind: .alibaba(configuration))
    }

    /// The simulated cloud account `sim` in `cn-hangzhou`, with one VPC holding every address.
    public static func simulated(
        name: String = "sim", region: String = "cn-hangzhou", latency: Duration = .zero, settleDelay: Duration = .milliseconds(20),
        vpcs: [SimulatedVPC] = [.default]
    ) -> Self {
        CloudAccountConfiguration(
            name: name, defaultRegion: region, kind: .simulated(latency: latency, settleDelay: settleDelay, vpcs: vpcs))
    }

    /// Whether the account is the simulated cloud (where a cluster may name no VPC).
    public var isSimulated: Bool {
        if case .simulated = kind { true } else { false }
    }
}
