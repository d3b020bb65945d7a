public import EIPCore
import EIPSQL

/// An EIP the cloud has, tagged as the broker's, that the books do not hold.
public struct OrphanEIP: Sendable, Hashable {
    public var allocationID: String
    public var ipAddress: String
    public var region: String
    public var parameters: EIPParameters
    public var bandwidthPackageID: String?

    public init(allocationID: String, ipAddress: String, region: String, parameters: EIPParameters, bandwidthPackageID: String?) {
        self.allocationID = allocationID
        self.ipAddress = ipAddress
        self.region = region
        self.parameters = parameters
        self.bandwidthPackageID = bandwidthPackageID
    }
}

/// What the drift pass may do with an orphan.
public enum OrphanVerdict: Sendable, Equatable {
    /// Booked as idle in its pool.
    case adopted
    /// No pool can take it: it may be released.
    case homeless
    /// An allocation in its account and region is in flight (sent, its answer not yet booked):
    /// the orphan may be that one, so nothing is done until it lands.
    case undecided
}

/// What the books hold of one EIP, for comparing them with the cloud.
public struct BookedEIP: Sendable, Hashable {
    public var address: AddressRecord
    /// The lease holding it, if any, with the ENI the books say it is bound to.
    public var leaseID: String?
    public var leasePhase: LeasePhase?
    public var leaseGoal: LeaseGoal?
    public var networkInterfaceID: String?
    /// Whom the lease serves: cluster, namespace and pod.
    public var leaseCluster: String?
    public var leaseNamespace: String?
    public var leasePod: String?
}

extension BrokerStore {
    /// The accounts and regions the books use, where drift is looked for.
    public func driftScopes() async throws -> [(provider: String, region: String)] {
        let rows = try await database.query(
            """
            SELECT provider, region FROM pools
            UNION SELECT provider, region FROM addresses WHERE state IN ('allocating', 'idle', 'leased', 'releasing')
            ORDER BY provider, region
            """
        )
        return try rows.map { (try $0.requiredString("provider"), try $0.requiredString("region")) }
    }

    /// The live addresses with an EIP (idle, leased, being released) in one account and region.
    public func bookedEIPs(provider: String, region: String) async throws -> [BookedEIP] {
        let rows = try await database.query(
            """
            SELECT a.*, l.phase AS lease_phase, l.goal AS lease_goal, l.network_interface_id AS lease_eni,
                l.cluster AS lease_cluster, l.namespace AS lease_namespace, l.pod AS lease_pod
            FROM addresses a LEFT JOIN leases l ON l.id = a.lease_id
            WHERE a.provider = \(provider) AND a.region = \(region) AND a.allocation_id IS NOT NULL
                AND a.state IN ('allocating', 'idle', 'leased', 'releasing')
            """
        )
        return try rows.map { row in
            BookedEIP(
                address: try AddressRecord(row: row), leaseID: row.string("lease_id"),
                leasePhase: row.string("lease_phase").flatMap(LeasePhase.init(rawValue:)),
                leaseGoal: row.string("lease_goal").flatMap(LeaseGoal.init(rawValue:)), networkInterfaceID: row.string("lease_eni"),
                leaseCluster: row.string("lease_cluster"), leaseNamespace: row.string("lease_namespace"), leasePod: row.string("lease_pod")
            )
        }
    }

    /// Takes an EIP the cloud has and the books do not (tagged as this broker's, seen for a
    /// grace period) into its pool as idle, if the pool exists, serves its account and region,
    /// could have made it (its parameters agree with every default the pool sets), has room
    /// and, for an EIP in a bandwidth package, lists the package and the package a seat. The
    /// address is booked with the pool's defaults, as the pool's own allocations are, so it
    /// serves the pool's requests. Nothing is decided while an allocation in the same account
    /// and region is in flight (the orphan may be its answer, about to be booked).
    public func adoptOrphan(_ eip: OrphanEIP, provider: String, pool poolName: String?, actor: String) async throws -> OrphanVerdict {
        do {
            return try await adopt(eip, provider: provider, pool: poolName, actor: actor)
        } catch is OrphanDoesNotFit {
            return .homeless
        }
    }

    private func adopt(_ eip: OrphanEIP, provider: String, pool poolName: String?, actor: String) async throws -> OrphanVerdict {
        try await transaction { sql in
            let now = clock.timestamp
            let inFlight = try await sql.query(
                """
                SELECT id FROM addresses WHERE provider = \(provider) AND region = \(eip.region) AND state = 'allocating'
                    AND allocation_id IS NULL AND cloud_attempted = 1 LIMIT 1
                """
            )
            let live = try await sql.query(
                "SELECT id FROM addresses WHERE allocation_id = \(eip.allocationID) AND state IN ('allocating', 'idle', 'leased', 'releasing')"
            )
            guard inFlight.isEmpty, live.isEmpty else { return .undecided }
            guard let poolName,
                let row = try await sql.query("SELECT \(raw: Self.poolColumns) FROM pools p WHERE p.name = \(poolName)").first
            else {
                return .homeless
            }
            let pool = try Self.pool(from: row)
            guard pool.provider == provider, pool.region == eip.region, eip.parameters.satisfies(pool.defaults) else { return .homeless }
            if let package = eip.bandwidthPackageID, !pool.bandwidthPackages.contains(package) { return .homeless }
            guard
                try await !sql.query("UPDATE pools SET size = size + 1 WHERE name = \(poolName) AND size < max_size RETURNING size").isEmpty
            else {
                return .homeless
            }
            if let package = eip.bandwidthPackageID {
                guard
                    try await !sql.query(
                        "UPDATE bandwidth_packages SET members = members + 1 WHERE id = \(package) AND members < max_ips RETURNING id"
                    ).isEmpty
                else {
                    throw OrphanDoesNotFit()
                }
            }
            try await sql.query(
                """
                INSERT INTO addresses (id, allocation_id, ip_address, provider, region, pool, static, parameters, reported, bandwidth_package_id, state, cloud_attempted, created_at, updated_at)
                VALUES (\(Self.newID(prefix: "a-")), \(eip.allocationID), \(eip.ipAddress), \(provider), \(eip.region), \(poolName), 0,
                        \(JSONColumn.encode(pool.defaults)), \(JSONColumn.encode(eip.parameters)), \(eip.bandwidthPackageID), 'idle', 1, \(now.milliseconds), \(now.milliseconds))
                ON CONFLICT (allocation_id) DO UPDATE SET state = 'idle', lease_id = NULL, pool = excluded.pool, ip_address = excluded.ip_address,
                    parameters = excluded.parameters, reported = excluded.reported, bandwidth_package_id = excluded.bandwidth_package_id, static = 0, updated_at = excluded.updated_at
                WHERE addresses.state IN ('released', 'lost')
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "drift.orphan.adopted", subjectType: "address", subjectID: eip.allocationID, cluster: nil,
                message:
                    "\(eip.allocationID) \(eip.ipAddress) was in the cloud but not in the books: adopted into pool \(poolName) as idle",
                at: now
            )
            return .adopted
        }
    }

    /// Records a drift finding the cloud call itself repaired (an orphan released, tags
    /// rewritten) as an audit event on the EIP.
    public func recordDriftFinding(_ action: String, allocationID: String, cluster: String?, message: String, actor: String) async throws {
        try await database.transaction { sql in
            try await sql.recordEvent(
                actor: actor, action: action, subjectType: "address", subjectID: allocationID, cluster: cluster, message: message,
                at: clock.timestamp)
        }
    }

    /// An address the books hold whose EIP the cloud no longer has: its lease (if any) fails
    /// with the reason, and its pool slot and package seat are freed. Does nothing when the
    /// address changed meanwhile. - Returns: whether it was marked lost.
    public func markLost(addressID: String, allocationID: String, actor: String) async throws -> Bool {
        try await transaction { sql in
            let now = clock.timestamp
            let reason = "EIP \(allocationID) no longer exists in the cloud (released or deleted outside the broker)"
            // Lock order: the lease, then its cluster, then the address.
            let leaseRow = try await sql.query(
                "SELECT l.* FROM leases l JOIN addresses a ON a.lease_id = l.id WHERE a.id = \(addressID)\(raw: sql.dialect.forUpdate)"
            ).first
            let lease = try leaseRow.map(Self.lease(from:))
            if let lease { try await Self.lockCluster(lease.cluster, in: sql) }
            guard
                let row = try await sql.query(
                    "SELECT * FROM addresses WHERE id = \(addressID) AND allocation_id = \(allocationID) AND state IN ('idle', 'leased')\(raw: sql.dialect.forUpdate)"
                ).first
            else { return false }
            let address = try AddressRecord(row: row)
            guard address.leaseID == lease?.id else { return false }
            try await dropAddress(address, in: sql)
            try await sql.query("UPDATE addresses SET state = 'lost', updated_at = \(now.milliseconds) WHERE id = \(addressID)")
            if let lease {
                try await sql.query("UPDATE leases SET last_error = \(reason) WHERE id = \(lease.id)")
                try await Self.finishLease(lease, phase: .failed, message: "failed: \(reason)", actor: actor, now: now, in: sql)
            }
            try await sql.recordEvent(
                actor: actor, action: "drift.address.lost", subjectType: "address", subjectID: allocationID, cluster: lease?.cluster,
                message: reason + (lease.map { "; lease \($0.id) failed" } ?? "; it was idle in pool \(address.pool ?? "")"), at: now
            )
            return true
        }
    }

    /// A lease the books have `InUse` on an ENI whose EIP the cloud shows elsewhere or unbound:
    /// reported, and put back to `Allocated` so the reconciler binds it again (its goal is
    /// still to be associated). Does nothing when the lease changed meanwhile. - Returns:
    /// whether it was sent back.
    public func restoreAssociation(leaseID: String, networkInterfaceID: String, found: String, actor: String) async throws -> Bool {
        try await transaction { sql in
            let now = clock.timestamp
            guard
                let row = try await sql.query(
                    """
                    SELECT * FROM leases WHERE id = \(leaseID) AND phase = \(LeasePhase.inUse.rawValue) AND goal = \(LeaseGoal.associated.rawValue)
                        AND network_interface_id = \(networkInterfaceID)\(raw: sql.dialect.forUpdate)
                    """
                ).first
            else { return false }
            let lease = try Self.lease(from: row)
            let message =
                "EIP \(lease.allocationID ?? "") should be bound to \(networkInterfaceID) but the cloud shows it \(found): binding it again"
            try await sql.query(
                "UPDATE leases SET phase = \(LeasePhase.allocated.rawValue), version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)"
            )
            try await Self.touch(leaseID: leaseID, now: now, in: sql)
            // After the touch, which clears it: the lease says why it is being bound again.
            try await sql.query("UPDATE leases SET last_error = \(message) WHERE id = \(leaseID)")
            try await sql.recordEvent(
                actor: actor, action: "drift.association", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster,
                message: message, at: now)
            return true
        }
    }
}

/// An orphan's bandwidth package has no seat left: the adoption is rolled back.
struct OrphanDoesNotFit: Error {}
