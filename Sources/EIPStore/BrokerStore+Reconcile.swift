public import EIPCore
import EIPSQL

/// A lease claimed by one reconciler for a while, with the address it holds or waits for.
public struct LeaseWork: Sendable {
    public var lease: Lease
    public var address: AddressRecord?
    /// How many times the reconciler has tried this lease since its goal last changed.
    public var attempts: Int
}

/// What `beginRelease` decided for a lease's address.
public enum ReleasePlan: Sendable {
    /// Done: the lease is released and its address went back to the pool idle (or, for a
    /// static EIP, out of the books), or it never had one.
    case finished
    /// The address must be released in the cloud, then ``BrokerStore/finishCloudRelease`` called.
    case releaseInCloud(AddressRecord)
}

extension BrokerStore {
    /// Claims up to `limit` leases that need work and are due, for `owner`, until `until`.
    /// Claims expire, so a crashed replica only delays its leases.
    public func claimLeaseWork(owner: String, limit: Int, until: Timestamp) async throws -> [LeaseWork] {
        try await transaction { sql in
            let now = clock.timestamp.milliseconds
            let rows = try await sql.query(
                """
                UPDATE leases SET claim_owner = \(owner), claim_until = \(until.milliseconds), attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM leases WHERE needs_work = 1 AND next_attempt_at <= \(now) AND (claim_until IS NULL OR claim_until < \(now))
                    ORDER BY next_attempt_at LIMIT \(limit)\(raw: sql.dialect.skipLocked)
                )
                RETURNING *
                """
            )
            var work: [LeaseWork] = []
            for row in rows {
                let lease = try Self.lease(from: row)
                let address = try await sql.query("SELECT * FROM addresses WHERE lease_id = \(lease.id)").first.map(
                    AddressRecord.init(row:))
                work.append(LeaseWork(lease: lease, address: address, attempts: row.int("attempts") ?? 1))
            }
            return work
        }
    }

    /// Runs `change` on a lease this owner still has claimed; throws if the claim was lost.
    @discardableResult
    private func withClaimedLease<Result: Sendable>(
        _ leaseID: String, owner: String, _ change: @Sendable (Lease, Timestamp, any SQLExecutor) async throws -> Result
    ) async throws -> Result {
        try await transaction { sql in
            guard let row = try await sql.query("SELECT * FROM leases WHERE id = \(leaseID)\(raw: sql.dialect.forUpdate)").first,
                row.string("claim_owner") == owner
            else { throw ClaimLost(leaseID: leaseID) }
            let result = try await change(try Self.lease(from: row), clock.timestamp, sql)
            try await Self.refreshWork(leaseID: leaseID, in: sql)
            return result
        }
    }

    /// Recomputes `needs_work` from the current phase and goal: a statement of its own, after
    /// the change, since within one `UPDATE` every expression sees the row as it was.
    static func refreshWork(leaseID: String, in sql: any SQLExecutor) async throws {
        try await sql.query("UPDATE leases SET needs_work = \(needsWork) WHERE id = \(leaseID)")
    }

    /// `needs_work` of a lease row, computed by the database from its `goal` and `phase` with
    /// ``LeaseGoal/isSettled(in:)``'s table, so a write need not read the row back: 0 for the
    /// settled pairs, 1 for every other.
    static let needsWork: SQL = {
        let settled = LeaseGoal.allCases.flatMap { goal in
            LeasePhase.allCases.filter(goal.isSettled(in:)).map { (goal, $0) }
        }
        let pairs = settled.map { goal, phase -> SQL in "(goal = \(goal.rawValue) AND phase = \(phase.rawValue))" }
        return "(CASE WHEN " + pairs.dropFirst().reduce(pairs[0]) { $0 + " OR " + $1 } + " THEN 0 ELSE 1 END)"
    }()

    /// Sets a transitional phase (`Associating`, `Disassociating`, `Releasing`) before a cloud call.
    public func setPhase(_ phase: LeasePhase, leaseID: String, owner: String) async throws {
        try await withClaimedLease(leaseID, owner: owner) { _, now, sql in
            try await sql.query(
                "UPDATE leases SET phase = \(phase.rawValue), version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)"
            )
        }
    }

    /// Notes, before the cloud call, that an allocation with this address's token is being sent.
    public func markCloudAttempt(addressID: String) async throws {
        try await database.query("UPDATE addresses SET cloud_attempted = 1 WHERE id = \(addressID)")
    }

    /// Records the EIP the cloud allocated (or verified, for a static one) for a pending lease.
    public func recordAllocated(
        leaseID: String, owner: String, allocationID: String, ipAddress: String, reported: EIPParameters, actor: String
    ) async throws {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            let reported = JSONColumn.encode(reported)
            try await sql.query(
                "UPDATE addresses SET allocation_id = \(allocationID), ip_address = \(ipAddress), reported = \(reported), state = 'leased', updated_at = \(now.milliseconds) WHERE lease_id = \(leaseID)"
            )
            try await sql.query(
                """
                UPDATE leases SET phase = \(LeasePhase.allocated.rawValue), allocation_id = \(allocationID), ip_address = \(ipAddress), reported = \(reported), last_error = NULL,
                    version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "lease.allocated", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster,
                message: "\(allocationID) \(ipAddress)", at: now)
        }
    }

    /// Records an EIP the cloud allocated but that cannot serve the lease (it could not join its
    /// bandwidth package): the lease keeps it only to give it back, with the error shown.
    public func recordUnusableAllocation(
        leaseID: String, owner: String, allocationID: String, ipAddress: String, error: String, actor: String
    ) async throws {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await sql.query(
                "UPDATE addresses SET allocation_id = \(allocationID), ip_address = \(ipAddress), state = 'leased', updated_at = \(now.milliseconds) WHERE lease_id = \(leaseID)"
            )
            try await sql.query(
                """
                UPDATE leases SET phase = \(LeasePhase.allocated.rawValue), goal = \(LeaseGoal.released.rawValue), allocation_id = \(allocationID), ip_address = \(ipAddress), last_error = \(error),
                    version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "lease.error", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster,
                message: "\(allocationID) \(ipAddress) unusable, giving it back: \(error)", at: now)
        }
    }

    /// Records that the address is bound to the ENI.
    public func recordAssociated(leaseID: String, owner: String, networkInterfaceID: String, privateIPAddress: String, actor: String)
        async throws
    {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await sql.query(
                """
                UPDATE leases SET phase = \(LeasePhase.inUse.rawValue), network_interface_id = \(networkInterfaceID), private_ip_address = \(privateIPAddress),
                    last_error = NULL, version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "lease.associated", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster,
                message: "\(lease.ipAddress ?? "") bound to \(privateIPAddress) on \(networkInterfaceID)", at: now)
        }
    }

    /// Records that the address is no longer bound.
    public func recordDisassociated(leaseID: String, owner: String, actor: String) async throws {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await sql.query(
                """
                UPDATE leases SET phase = \(LeasePhase.allocated.rawValue), network_interface_id = CASE WHEN goal = \(LeaseGoal.associated.rawValue) THEN network_interface_id ELSE NULL END,
                    last_error = NULL, version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "lease.disassociated", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster,
                message: "\(lease.ipAddress ?? "") unbound", at: now)
        }
    }

    /// Starts releasing a lease that holds no binding. Returns the address to the pool when the
    /// pool wants more idle addresses and can use it; otherwise marks it for release in the cloud.
    public func beginRelease(leaseID: String, owner: String, actor: String) async throws -> ReleasePlan {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await Self.lockCluster(lease.cluster, in: sql)
            let address = try await sql.query("SELECT * FROM addresses WHERE lease_id = \(leaseID)\(raw: sql.dialect.forUpdate)").first.map(
                AddressRecord.init(row:))
            guard let address, address.allocationID != nil || address.isStatic else {
                // Nothing was ever allocated in the cloud: give the reservations back.
                if let address { try await dropAddress(address, in: sql) }
                try await Self.finishLease(
                    lease, phase: .released, message: "released; no address had been allocated", actor: actor, now: now, in: sql)
                return .finished
            }
            if address.state == .releasing {
                // A cloud release was already started (its answer may have been lost): finish it.
                return .releaseInCloud(address)
            }
            if address.isStatic {
                try await sql.query(
                    "UPDATE addresses SET state = 'released', lease_id = NULL, updated_at = \(now.milliseconds) WHERE id = \(address.id)")
                try await Self.finishLease(
                    lease, phase: .released, message: "static EIP \(address.allocationID ?? "") unbound and kept", actor: actor, now: now,
                    in: sql)
                return .finished
            }
            if let poolName = address.pool,
                let poolRow = try await sql.query("SELECT \(raw: Self.poolColumns) FROM pools p WHERE p.name = \(poolName)").first
            {
                let pool = try Self.pool(from: poolRow)
                let fits =
                    address.parameters.canServe(pool.defaults)
                    && (address.bandwidthPackageID == nil
                        ? pool.bandwidthPackages.isEmpty : pool.bandwidthPackages.contains(address.bandwidthPackageID!))
                if fits, pool.idle < pool.warm.max {
                    try await sql.query(
                        "UPDATE addresses SET state = 'idle', lease_id = NULL, updated_at = \(now.milliseconds) WHERE id = \(address.id)")
                    try await Self.finishLease(
                        lease, phase: .released, message: "address \(address.ipAddress ?? "") back to pool \(poolName) idle", actor: actor,
                        now: now, in: sql)
                    return .finished
                }
            }
            try await sql.query(
                "UPDATE leases SET phase = \(LeasePhase.releasing.rawValue), version = version + 1, updated_at = \(now.milliseconds) WHERE id = \(leaseID)"
            )
            try await sql.query("UPDATE addresses SET state = 'releasing', updated_at = \(now.milliseconds) WHERE id = \(address.id)")
            var releasing = address
            releasing.state = .releasing
            return .releaseInCloud(releasing)
        }
    }

    /// Records that the cloud released the lease's address.
    public func finishCloudRelease(leaseID: String, owner: String, actor: String) async throws {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await Self.lockCluster(lease.cluster, in: sql)
            if let address = try await sql.query("SELECT * FROM addresses WHERE lease_id = \(leaseID)").first.map(AddressRecord.init(row:))
            {
                try await dropAddress(address, in: sql)
            }
            try await Self.finishLease(
                lease, phase: .released, message: "address \(lease.ipAddress ?? "") released in the cloud", actor: actor, now: now, in: sql)
        }
    }

    /// Fails a lease that could not get an address, giving back what it had reserved.
    public func failLease(leaseID: String, owner: String, error: String, actor: String) async throws {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await Self.lockCluster(lease.cluster, in: sql)
            if let address = try await sql.query("SELECT * FROM addresses WHERE lease_id = \(leaseID)").first.map(AddressRecord.init(row:))
            {
                try await dropAddress(address, in: sql)
            }
            try await sql.query("UPDATE leases SET last_error = \(error) WHERE id = \(leaseID)")
            try await Self.finishLease(lease, phase: .failed, message: "failed: \(error)", actor: actor, now: now, in: sql)
        }
    }

    /// Gives up on the current goal after a final error, keeping what the lease holds: the goal
    /// falls back to `allocated` and the error is shown on the lease.
    public func settleWithError(leaseID: String, owner: String, error: String, actor: String) async throws {
        try await withClaimedLease(leaseID, owner: owner) { lease, now, sql in
            try await sql.query(
                """
                UPDATE leases SET goal = CASE WHEN goal = \(LeaseGoal.released.rawValue) THEN goal ELSE \(LeaseGoal.allocated.rawValue) END,
                    phase = CASE WHEN phase IN (\(LeasePhase.associating.rawValue), \(LeasePhase.disassociating.rawValue)) THEN \(LeasePhase.allocated.rawValue) ELSE phase END,
                    last_error = \(error), claim_owner = NULL, claim_until = NULL, next_attempt_at = \(now.adding(milliseconds: 60_000).milliseconds),
                    version = version + 1, updated_at = \(now.milliseconds)
                WHERE id = \(leaseID)
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "lease.error", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster, message: error,
                at: now)
        }
    }

    /// Puts a lease back after a retryable error, due again at `retryAt`.
    public func deferLease(leaseID: String, owner: String, error: String, retryAt: Timestamp) async throws {
        try await withClaimedLease(leaseID, owner: owner) { _, now, sql in
            try await sql.query(
                """
                UPDATE leases SET last_error = \(error), next_attempt_at = \(retryAt.milliseconds), claim_owner = NULL, claim_until = NULL,
                    updated_at = \(now.milliseconds) WHERE id = \(leaseID)
                """
            )
        }
    }

    /// Shows on a lease this owner has claimed why its step is taking long (the cloud refused
    /// a call that is being retried, and when), until the step records its outcome.
    public func noteRetry(leaseID: String, owner: String, error: String) async throws {
        try await database.query(
            "UPDATE leases SET last_error = \(error), updated_at = \(clock.timestamp.milliseconds) WHERE id = \(leaseID) AND claim_owner = \(owner)"
        )
    }

    /// Extends `owner`'s claim on a lease to `until`, while its step runs; `false` when the claim
    /// is no longer this owner's.
    @discardableResult
    public func renewClaim(leaseID: String, owner: String, until: Timestamp) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE leases SET claim_until = \(until.milliseconds) WHERE id = \(leaseID) AND claim_owner = \(owner) RETURNING id"
        )
        return !rows.isEmpty
    }

    /// Lets go of a claimed lease so it is due again at once (another step may follow).
    public func unclaim(leaseID: String, owner: String) async throws {
        try await database.query(
            "UPDATE leases SET claim_owner = NULL, claim_until = NULL WHERE id = \(leaseID) AND claim_owner = \(owner)")
    }

    /// Ends a lease: terminal phase, out of the cluster's quota.
    static func finishLease(_ lease: Lease, phase: LeasePhase, message: String, actor: String, now: Timestamp, in sql: any SQLExecutor)
        async throws
    {
        try await sql.query(
            """
            UPDATE leases SET phase = \(phase.rawValue), active = 0, needs_work = 0, retained = 0, release_at = NULL,
                claim_owner = NULL, claim_until = NULL, version = version + 1, updated_at = \(now.milliseconds)
            WHERE id = \(lease.id)
            """
        )
        if lease.phase.isTerminal == false {
            try await sql.query("UPDATE clusters SET active_leases = active_leases - 1 WHERE name = \(lease.cluster)")
        }
        try await sql.recordEvent(
            actor: actor, action: phase == .failed ? "lease.failed" : "lease.released", subjectType: "lease", subjectID: lease.id,
            cluster: lease.cluster, message: message, at: now)
    }

    /// Takes an address out of the books: its pool slot and package place are freed.
    func dropAddress(_ address: AddressRecord, in sql: any SQLExecutor) async throws {
        let now = clock.timestamp.milliseconds
        if address.isStatic {
            try await sql.query("UPDATE addresses SET state = 'released', lease_id = NULL, updated_at = \(now) WHERE id = \(address.id)")
            return
        }
        if address.allocationID == nil {
            try await sql.query("DELETE FROM addresses WHERE id = \(address.id)")
        } else {
            try await sql.query("UPDATE addresses SET state = 'released', lease_id = NULL, updated_at = \(now) WHERE id = \(address.id)")
        }
        if let pool = address.pool {
            try await sql.query("UPDATE pools SET size = size - 1 WHERE name = \(pool)")
        }
        if let package = address.bandwidthPackageID {
            try await sql.query("UPDATE bandwidth_packages SET members = members - 1 WHERE id = \(package)")
        }
    }

    /// Retained TTL leases whose time is up get released.
    public func expireRetainedLeases(actor: Principal) async throws -> [String] {
        try await transaction { sql in
            let now = clock.timestamp
            let rows = try await sql.query(
                "SELECT * FROM leases WHERE active = 1 AND retained = 1 AND release_at IS NOT NULL AND release_at <= \(now.milliseconds) ORDER BY id\(raw: sql.dialect.forUpdate)"
            )
            var expired: [String] = []
            for row in rows {
                let lease = try Self.lease(from: row)
                try await Self.applyRelease(
                    to: lease, force: true, now: now, actor: actor, reason: "TTL \(lease.releaseStrategy.releaseAfter ?? "") expired",
                    in: sql)
                expired.append(lease.id)
            }
            return expired
        }
    }
}

/// Another replica took over a lease whose claim expired; the step's result is dropped.
public struct ClaimLost: Error, Sendable, BrokerErrorConvertible {
    public var leaseID: String

    public var brokerError: BrokerError { BrokerError(.conflict, "the lease changed hands; retry", retryAfter: 1) }
}
