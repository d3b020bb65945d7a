public import EIPCloud
import EIPCore
public import EIPSQL
import Foundation

/// A simulated cloud account that answers like Alibaba Cloud's VPC EIP API, keeping its state in
/// the broker's own database (the `sim_eips`, `sim_enis` and `sim_counters` tables), with VPCs
/// (``SimulatedVPC``) whose ENIs are the only ones a cluster's pods are looked up in.
///
/// Because the state lives in the database, two broker replicas on one PostgreSQL share one
/// simulated cloud, and a restarted broker finds the EIPs it made. Changes that take time in the
/// real cloud (associating, unassociating) are stored as a status that *settles* into another at
/// a set time; every read computes the settled status, so replicas agree without a timer.
///
/// Latency and failures are injected per call through ``Faults``, which tests share with the
/// cloud to script failures and to count calls.
///
/// ```swift
/// let faults = SimulatedCloud.Faults()
/// let cloud = SimulatedCloud(database: database, faults: faults)
/// faults.dropResponseNext(.allocate)
/// // The EIP is made, but the call throws `.unavailable`; a retry with the same client token
/// // returns that EIP.
/// ```
public struct SimulatedCloud: CloudProvider {
    /// How the simulated account behaves.
    public struct Configuration: Sendable {
        /// The most EIPs the account may hold at once (Alibaba's `QuotaExceeded.Eip`).
        public var quota: Int
        /// How long associating and unassociating take before the EIP settles.
        public var settleDelay: Duration
        /// Added to every call before it is answered.
        public var latency: Duration
        /// How long `associate` and `unassociate` wait for the EIP to settle before giving up with
        /// `.unavailable`.
        public var settleTimeout: Duration
        /// The account's VPCs; the first is where clusters that name no VPC look for ENIs.
        public var vpcs: [SimulatedVPC]
        /// The most EIPs one shared bandwidth package may hold (the account's quota).
        public var bandwidthPackageIPLimit: Int

        /// - Parameters:
        ///   - quota: EIPs the account may hold (default 10 000).
        ///   - settleDelay: time an association change takes (default 20 ms).
        ///   - latency: time every call takes (default none).
        ///   - settleTimeout: the longest wait for an EIP to settle (default 30 s).
        ///   - vpcs: the account's VPCs (default: ``SimulatedVPC/default``, holding every address).
        ///   - bandwidthPackageIPLimit: EIPs one shared bandwidth package may hold (Alibaba's
        ///     default quota, 100).
        public init(
            quota: Int = 10_000, settleDelay: Duration = .milliseconds(20), latency: Duration = .zero,
            settleTimeout: Duration = .seconds(30), vpcs: [SimulatedVPC] = [.default], bandwidthPackageIPLimit: Int = 100
        ) {
            self.quota = quota
            self.bandwidthPackageIPLimit = bandwidthPackageIPLimit
            self.settleDelay = settleDelay
            self.latency = latency
            self.settleTimeout = settleTimeout
            self.vpcs = vpcs
        }
    }

    /// The account's name; every EIP and ENI is scoped to it.
    public let account: String
    /// Where the simulated cloud keeps its state.
    public let database: any SQLDatabase
    public let configuration: Configuration
    /// The failures to inject and the call counts; share it with tests.
    public let faults: Faults

    /// - Parameters:
    ///   - account: the account name (default `sim`).
    ///   - database: the migrated database that holds the `sim_*` tables.
    ///   - configuration: quota, settle delay, latency and settle timeout.
    ///   - faults: failures to inject; a new, empty set by default.
    public init(account: String = "sim", database: any SQLDatabase, configuration: Configuration = .init(), faults: Faults = Faults()) {
        self.account = account
        self.database = database
        self.configuration = configuration
        self.faults = faults
    }

    /// A simulated account with the given latency and settle delay, and the other settings at
    /// their defaults.
    public init(
        account: String = "sim", database: any SQLDatabase, latency: Duration, settleDelay: Duration, vpcs: [SimulatedVPC] = [.default],
        faults: Faults = Faults()
    ) {
        self.init(
            account: account, database: database, configuration: Configuration(settleDelay: settleDelay, latency: latency, vpcs: vpcs),
            faults: faults)
    }

    /// Runs one API call: counts it, adds the latency, throws an injected failure or runs `body`,
    /// and loses the response afterwards when told to. Errors that are not ``CloudError``s (the
    /// database failing) surface as `.unavailable`, as a cloud's internal errors do.
    func perform<Result: Sendable>(_ action: Action, _ body: () async throws -> Result) async throws -> Result {
        let requestID = UUID().uuidString
        do {
            if configuration.latency > .zero {
                try await Task.sleep(for: configuration.latency)
            }
            let admission = try faults.admit(action, account: account)
            let result = try await body()
            if admission == .loseResponse {
                throw CloudError(
                    .unavailable, code: "ServiceUnavailable", message: "\(action.apiName): the response was lost after the change was made")
            }
            return result
        } catch var error as CloudError {
            error.requestID = error.requestID ?? requestID
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw CloudError(
                .unavailable, code: "InternalError", message: "\(action.apiName) failed inside the simulated cloud: \(error)",
                requestID: requestID)
        }
    }

    /// Reads one EIP of this account as any caller would see it now (settled), or `nil`.
    func read(allocationID: String, region: String) async throws -> SimulatedEIPRecord? {
        let rows = try await database.query(
            "SELECT * FROM sim_eips WHERE account = \(account) AND allocation_id = \(allocationID) AND region = \(region)"
        )
        return try rows.first.map { try SimulatedEIPRecord(row: $0).settled(at: .now) }
    }

    /// Reads one EIP of this account inside a transaction, locking its row on PostgreSQL, settled.
    func lockedRecord(_ sql: any SQLExecutor, allocationID: String, region: String) async throws -> SimulatedEIPRecord? {
        let rows = try await sql.query(
            """
            SELECT * FROM sim_eips WHERE account = \(account) AND allocation_id = \(allocationID) AND region = \(region)\
            \(raw: sql.dialect.forUpdate)
            """
        )
        return try rows.first.map { try SimulatedEIPRecord(row: $0).settled(at: .now) }
    }

    /// When a change started now settles.
    var settlesAt: Int64 {
        Timestamp.now.milliseconds + configuration.settleDelay.wholeMilliseconds
    }

    static func notFound(_ allocationID: String) -> CloudError {
        CloudError(.notFound, code: "InvalidAllocationId.NotFound", message: "The specified EIP \(allocationID) does not exist.")
    }

    static func incorrectStatus(_ record: SimulatedEIPRecord, _ what: String) -> CloudError {
        CloudError(.busy, code: "IncorrectEipStatus", message: "The EIP \(record.allocationID) is \(record.status.rawValue): \(what).")
    }
}
