public import EIPCloudSimulated
public import EIPCore

/// How a ``CloudEmulator`` runs: where it listens, the one account it serves, its database,
/// and the faults it starts with.
///
/// The default access key pair is a published test-only value: anyone can read it here, so
/// never give a real account these values, and never point the broker's production
/// configuration at an emulator.
///
/// ```swift
/// var configuration = EmulatorConfiguration()
/// configuration.port = 0
/// configuration.throttles["AllocateEipAddress"] = ThrottleLimit(perMinute: 120)
/// ```
public struct EmulatorConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The test-only access key id the emulator accepts by default.
    public static let testAccessKeyID = "LTAI5tEmulatorTestOnly"
    /// The test-only access key secret the emulator accepts by default.
    public static let testAccessKeySecret = "EmulatorTestOnlySecretNotForRealUse"

    /// Address to listen on (default `127.0.0.1`).
    public var host: String
    /// Port to listen on (default 8090; 0 picks a free one, see ``CloudEmulator/port``).
    public var port: Int
    /// The account's access key id (default ``testAccessKeyID``).
    public var accessKeyID: String
    /// The account's access key secret (default ``testAccessKeySecret``). Never logged.
    public var accessKeySecret: String
    /// The one region served (`RegionId` must name it; default `cn-hangzhou`).
    public var region: String
    /// Where the simulated cloud keeps its state: a `postgres://` URL or a SQLite path; `nil`
    /// for an in-memory SQLite database (the default).
    public var databaseURL: String?
    /// The account's name in the simulated cloud's tables (default `emulator`).
    public var account: String
    /// The account's Alibaba account id, used in ARNs (default `1234567890123456`).
    public var accountID: String
    /// The most EIPs the account may hold (`QuotaExceeded.Eip`; default 1000, Alibaba's default is 20).
    public var eipQuota: Int
    /// How long `Associating` and `Unassociating` last before the EIP settles (default 200 ms).
    public var settleDelay: Duration
    /// The account's VPCs and their CIDR blocks (default ``SimulatedVPC/default``, `vpc-sim`
    /// holding every address); `DescribeNetworkInterfaces` finds ENIs only in these.
    public var vpcs: [SimulatedVPC] = [.default]

    /// Added before every API call is answered (default none).
    public var latency: Duration
    /// The share of API calls refused with `ServiceUnavailable` (503) before they change anything.
    public var failRate: Double
    /// The share of API calls that make their change and then answer `ServiceUnavailable` (503).
    public var dropResponseRate: Double
    /// Per-action rate limits, keyed by action name (`AllocateEipAddress`).
    public var throttles: [String: ThrottleLimit]

    /// How long issued STS credentials last: those of the metadata service, and those of
    /// `AssumeRoleWithOIDC` (capping its `DurationSeconds`). `nil`: 6 hours for the metadata
    /// service, `DurationSeconds` for STS.
    public var stsExpiry: Duration?
    /// Whether metadata reads need a session token from `PUT /latest/api/token` (IMDSv2 style);
    /// without it they work either way, and a wrong token still gets 401.
    public var requireMetadataToken: Bool
    /// The RAM role the metadata service names (default `EIPBrokerRole`).
    public var roleName: String

    /// How far a request's `Timestamp` / `x-acs-date` may be from now (default 15 minutes).
    public var clockSkewAllowance: Duration
    /// How long a signature nonce is remembered (default 15 minutes).
    public var nonceRetention: Duration
    /// The time of day credentials are issued and checked against and request timestamps are
    /// compared with (the system's by default; tests move one by hand).
    public var clock: WallClock

    /// The defaults described on each property.
    public init(
        host: String = "127.0.0.1", port: Int = 8090, accessKeyID: String = Self.testAccessKeyID,
        accessKeySecret: String = Self.testAccessKeySecret, region: String = "cn-hangzhou", databaseURL: String? = nil
    ) {
        self.host = host
        self.port = port
        self.accessKeyID = accessKeyID
        self.accessKeySecret = accessKeySecret
        self.region = region
        self.databaseURL = databaseURL
        account = "emulator"
        accountID = "1234567890123456"
        eipQuota = 1000
        settleDelay = .milliseconds(200)
        latency = .zero
        failRate = 0
        dropResponseRate = 0
        throttles = [:]
        stsExpiry = nil
        requireMetadataToken = false
        roleName = "EIPBrokerRole"
        clockSkewAllowance = .seconds(900)
        nonceRetention = .seconds(900)
        clock = .system
    }

    /// The settings with the access key secret left out, safe to log.
    public var description: String {
        "EmulatorConfiguration(host: \(host), port: \(port), accessKeyID: \(accessKeyID), accessKeySecret: <redacted>, region: \(region), "
            + "database: \(databaseURL == nil ? "in-memory SQLite" : "configured"), eipQuota: \(eipQuota), throttles: \(throttles))"
    }

    public var debugDescription: String { description }

    /// Mirrors ``description``, so `dump` does not print the secret either.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
