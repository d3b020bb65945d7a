public import EIPCore
import EIPSQL
import Foundation

/// Filters of the lease list.
public struct LeaseFilter: Sendable {
    public var cluster: String?
    public var namespace: String?
    public var pool: String?
    public var phase: LeasePhase?
    public var ipAddress: String?

    public init(cluster: String? = nil, namespace: String? = nil, pool: String? = nil, phase: LeasePhase? = nil, ipAddress: String? = nil) {
        self.cluster = cluster
        self.namespace = namespace
        self.pool = pool
        self.phase = phase
        self.ipAddress = ipAddress
    }
}

/// What a heartbeat did.
public struct HeartbeatOutcome: Sendable {
    public var seen: Int
    /// Leases whose pods are gone and that are now being released.
    public var released: [String]
    /// Leases whose pods are gone and that keep their address (TTL, Never).
    public var retained: [String]
}

extension BrokerStore {
    /// Makes a lease id that sorts by creation time: `l-` + 12 hex digits of milliseconds + 10 random.
    static func newID(prefix: String) -> String {
        let time = String(UInt64(Timestamp.now.milliseconds), radix: 16)
        let random = String(UInt64.random(in: 0..<(1 << 40)), radix: 16)
        return prefix + String(repeating: "0", count: max(0, 12 - time.count)) + time
            + String(repeating: "0", count: max(0, 10 - random.count)) + random
    }

    /// Allocates an address for a pod, or returns the lease it already has.
    ///
    /// Pools and static EIPs are served only from the cluster's own account and region (its
    /// ``ClusterLocation``), and `allowRob` only to a cluster registered with it (or an admin).
    ///
    /// A pod with an active lease gets that lease back (`created == false`). A pod of the same name
    /// but a new UID (a StatefulSet pod recreated) gets the old lease handed over when its strategy
    /// retains addresses (TTL, Never); under `Follow` the old lease is released and a new one made.
    /// - Returns: The lease, and whether it was created by this call.
    public func allocate(_ request: AllocationRequest, actor: Principal) async throws -> (lease: Lease, created: Bool) {
        do {
            return try await allocateOnce(request, actor: actor)
        } catch SQLError.uniqueViolation {
            // Another call for the same pod won the race: answer with its lease.
            return try await allocateOnce(request, actor: actor)
        }
    }

    private func allocateOnce(_ request: AllocationRequest, actor: Principal) async throws -> (lease: Lease, created: Bool) {
        try await transaction { sql in
            let now = clock.timestamp
            guard let cluster = try await Self.cluster(named: request.cluster, in: sql) else {
                throw BrokerError(
                    .unprocessable, "cluster: cluster '\(request.cluster)' does not exist",
                    fieldViolations: [.init(field: "cluster", rule: "must name an existing cluster", isContextual: true)])
            }
            if let existing = try await sql.query(
                """
                SELECT * FROM leases WHERE cluster = \(request.cluster) AND namespace = \(request.namespace) AND pod = \(request.pod)
                AND active = 1 AND goal <> 'released'\(raw: sql.dialect.forUpdate)
                """
            ).first.map(Self.lease(from:)) {
                if let answer = try await Self.reuse(existing, for: request, now: now, actor: actor, in: sql) {
                    return (answer, false)
                }
            }
            return (try await Self.createLease(request, for: cluster, now: now, actor: actor, in: sql), true)
        }
    }

    /// Carries out what an allocate does with the pod's existing lease (``Lease/reuse(for:)``):
    /// returns it, hands it to the new pod of the same name, or releases it (returns `nil`: make
    /// a new one).
    private static func reuse(_ existing: Lease, for request: AllocationRequest, now: Timestamp, actor: Principal, in sql: any SQLExecutor)
        async throws -> Lease?
    {
        switch try existing.reuse(for: request) {
        case .same:
            return existing
        case .handOver:
            // StatefulSet stickiness: the new pod of the same name takes the retained address.
            let rows = try await sql.query(
                """
                UPDATE leases SET pod_uid = \(request.podUID), retained = 0, release_at = NULL, release_strategy = \(request.releaseStrategy.kind),
                    release_after_ms = \(request.releaseStrategy.ttlMilliseconds), pod_last_seen = \(now.milliseconds),
                    version = version + 1, updated_at = \(now.milliseconds)
                WHERE id = \(existing.id)
                RETURNING *
                """
            )
            try await sql.recordEvent(
                actor: actor.description, action: "lease.handover", subjectType: "lease", subjectID: existing.id, cluster: existing.cluster,
                message:
                    "retained address \(existing.ipAddress ?? "(pending)") handed to pod \(request.namespace)/\(request.pod) uid \(request.podUID)",
                at: now
            )
            guard let row = rows.first else { throw BrokerError.notFound("lease", existing.id) }
            return try Self.lease(from: row)
        case .replace:
            // The old pod is gone (new UID): apply its strategy as if it had been released.
            try await applyRelease(
                to: existing, force: true, now: now, actor: actor,
                reason: "pod \(request.namespace)/\(request.pod) was replaced (uid \(request.podUID))", in: sql)
            return nil
        }
    }

    /// Pool `name` as `cluster` may draw from it: it exists, is open to the cluster and is in the
    /// cluster's account and region.
    static func usablePool(_ name: String, by cluster: Cluster, in sql: any SQLExecutor) async throws -> Pool {
        guard let row = try await sql.query("SELECT \(raw: poolColumns) FROM pools p WHERE p.name = \(name)").first else {
            throw BrokerError(
                .unprocessable, "pool: pool '\(name)' does not exist",
                fieldViolations: [.init(field: "pool", rule: "must name an existing pool", isContextual: true)])
        }
        let pool = try Self.pool(from: row)
        guard pool.admits(cluster: cluster.name) else {
            throw BrokerError(
                .permissionDenied, "pool: cluster '\(cluster.name)' may not use pool '\(name)'",
                fieldViolations: [.init(field: "pool", rule: "must be open to the caller's cluster")])
        }
        guard pool.provider == cluster.location.provider, pool.region == cluster.location.region else {
            throw BrokerError.unprocessable(
                "pool",
                "must be in the cluster's account and region (\(cluster.location.provider)/\(cluster.location.region)); pool '\(name)' is in \(pool.provider)/\(pool.region)"
            )
        }
        return pool
    }

    /// Counts one more active lease against the cluster's quota, in a statement that re-checks
    /// it: concurrent allocations serialize on the cluster's row. Quota first, so a refusal
    /// leaves every other counter as it was.
    static func takeQuotaSeat(of cluster: String, in sql: any SQLExecutor) async throws {
        let quota = try await sql.query(
            "UPDATE clusters SET active_leases = active_leases + 1 WHERE name = \(cluster) AND active_leases < quota RETURNING quota"
        )
        guard quota.isEmpty else { return }
        let row = try await sql.query("SELECT quota FROM clusters WHERE name = \(cluster)").first
        throw BrokerError(
            .quotaExceeded, "cluster '\(cluster)' has used its quota of \(row?.int("quota") ?? 0) active leases", retryAfter: 30)
    }

    private static func createLease(
        _ request: AllocationRequest, for cluster: Cluster, now: Timestamp, actor: Principal, in sql: any SQLExecutor
    ) async throws -> Lease {
        if case .static(_, allowRob: true) = request.source, actor.clusterScope != nil, !cluster.allowRob {
            throw BrokerError(
                .permissionDenied, "allowRob: cluster '\(cluster.name)' is not allowed to take static EIPs bound elsewhere",
                fieldViolations: [.init(field: "allowRob", rule: "needs a cluster registered with allowRob: true")]
            )
        }
        let leaseID = newID(prefix: "l-")
        var lease = Lease(
            id: leaseID, cluster: request.cluster, namespace: request.namespace, pod: request.pod, podUID: request.podUID,
            pool: nil, allocationType: .auto, releaseStrategy: request.releaseStrategy, parameters: EIPParameters(),
            phase: .pending, goal: .allocated, podLastSeen: now, createdAt: now, updatedAt: now
        )
        try await takeQuotaSeat(of: request.cluster, in: sql)
        switch request.source {
        case .static(let allocationID, let allowRob):
            lease.allocationType = .static
            lease.allocationID = allocationID
            lease.allowRob = allowRob
            lease.releaseStrategy = .follow
            try await claimStaticAddress(allocationID, for: lease, location: cluster.location, actor: actor, now: now, in: sql)
        case .pool(let name, let overrides, let packageOverride):
            let pool = try await usablePool(name, by: cluster, in: sql)
            lease.pool = name
            lease.parameters = pool.defaults.overridden(by: overrides)
            if let packageOverride {
                try await checkPackageOverride(packageOverride, for: pool, actor: actor, in: sql)
            }
            if let idle = try await claimIdleAddress(
                in: pool, parameters: lease.parameters, package: packageOverride, leaseID: leaseID, now: now, in: sql)
            {
                lease.allocationID = idle.allocationID
                lease.ipAddress = idle.ipAddress
                lease.reported = idle.reported
                lease.bandwidthPackageID = idle.bandwidthPackageID
                lease.phase = .allocated
            } else {
                lease.bandwidthPackageID = try await reserveNewAddress(
                    in: pool, parameters: lease.parameters, packageOverride: packageOverride, leaseID: leaseID, now: now, in: sql
                )
            }
        }
        try await insert(lease, in: sql)
        try await sql.recordEvent(
            actor: actor.description, action: "lease.allocate", subjectType: "lease", subjectID: leaseID, cluster: lease.cluster,
            message: "pod \(lease.namespace)/\(lease.pod) " + (lease.pool.map { "from pool \($0)" } ?? "static \(lease.allocationID ?? "")")
                + (lease.ipAddress.map { ", idle address \($0)" } ?? ", address pending"), at: now
        )
        return lease
    }

    /// Takes an idle address of the pool that serves these parameters, if there is one.
    private static func claimIdleAddress(
        in pool: Pool, parameters: EIPParameters, package: String?, leaseID: String, now: Timestamp, in sql: any SQLExecutor
    ) async throws -> AddressRecord? {
        let candidates = try await sql.query(
            "SELECT * FROM addresses WHERE pool = \(pool.name) AND state = 'idle' ORDER BY created_at, id LIMIT 50\(raw: sql.dialect.skipLocked)"
        ).map(AddressRecord.init(row:))
        for candidate in candidates
        where candidate.parameters.canServe(parameters) && (package == nil || candidate.bandwidthPackageID == package) {
            let taken = try await sql.query(
                "UPDATE addresses SET state = 'leased', lease_id = \(leaseID), updated_at = \(now.milliseconds) WHERE id = \(candidate.id) AND state = 'idle' RETURNING id"
            )
            if !taken.isEmpty { return candidate }
        }
        return nil
    }

    /// A cluster may name a package of its pool, or one the broker found for a pod of that pool
    /// (``BandwidthPackage/discoveredFor``); an admin, any package registered in the pool's
    /// account and region. What an admin registered for other pools, or the broker found for
    /// another pool, stays theirs.
    private static func checkPackageOverride(_ id: String, for pool: Pool, actor: Principal, in sql: any SQLExecutor) async throws {
        if pool.bandwidthPackages.contains(id) { return }
        let package = try await sql.query("SELECT region, provider, discovered_for FROM bandwidth_packages WHERE id = \(id)").first
        let inPoolsAccount = package?.string("region") == pool.region && package?.string("provider") == pool.provider
        if actor.clusterScope != nil {
            guard inPoolsAccount, package?.string("discovered_for") == pool.name else {
                throw BrokerError.unprocessable(
                    "bandwidthPackageId",
                    "must be one of the bandwidth packages of pool '\(pool.name)', or one the broker found in its account for a pod of that pool"
                )
            }
            return
        }
        guard inPoolsAccount else {
            throw BrokerError.unprocessable(
                "bandwidthPackageId", "bandwidth package '\(id)' is not registered in the pool's account and region")
        }
    }

    /// Reserves room for one more address in the pool (and its bandwidth package) and records it
    /// as `allocating` for the reconciler. A refusal leaves every counter as it was, so callers
    /// that carry on in the same transaction (the warm loop) never commit a slot without an address.
    /// - Returns: the bandwidth package it will join.
    static func reserveNewAddress(
        in pool: Pool, parameters: EIPParameters, packageOverride: String?, leaseID: String?, now: Timestamp, in sql: any SQLExecutor
    ) async throws -> String? {
        let reserved = try await sql.query("UPDATE pools SET size = size + 1 WHERE name = \(pool.name) AND size < max_size RETURNING size")
        guard !reserved.isEmpty else {
            throw BrokerError(.poolExhausted, "pool '\(pool.name)' holds its maximum of \(pool.maxSize) addresses", retryAfter: 30)
        }
        var package: String?
        let candidates = packageOverride.map { [$0] } ?? pool.bandwidthPackages
        for id in candidates {
            let joined = try await sql.query(
                "UPDATE bandwidth_packages SET members = members + 1 WHERE id = \(id) AND members < max_ips RETURNING id")
            if !joined.isEmpty {
                package = id
                break
            }
        }
        if !candidates.isEmpty, package == nil {
            try await sql.query("UPDATE pools SET size = size - 1 WHERE name = \(pool.name)")
            throw BrokerError(
                .bandwidthPackageFull,
                "bandwidth package\(candidates.count > 1 ? "s" : "") \(candidates.joined(separator: ", ")) of pool '\(pool.name)' \(candidates.count > 1 ? "are" : "is") full",
                retryAfter: 30)
        }
        try await sql.query(
            """
            INSERT INTO addresses (id, provider, region, pool, static, parameters, bandwidth_package_id, state, lease_id, created_at, updated_at)
            VALUES (\(newID(prefix: "a-")), \(pool.provider), \(pool.region), \(pool.name), 0, \(JSONColumn.encode(parameters)),
                    \(package), 'allocating', \(leaseID), \(now.milliseconds), \(now.milliseconds))
            """
        )
        return package
    }

    /// Records that a static EIP of the cluster's account and region is wanted by this lease;
    /// refuses one another lease holds. The refusal names the holder only to an admin or to the
    /// holder's own cluster: other tenants learn that it is taken, not by whom.
    static func claimStaticAddress(
        _ allocationID: String, for lease: Lease, location: ClusterLocation, actor: Principal, now: Timestamp, in sql: any SQLExecutor
    ) async throws {
        let claimed = try await sql.query(
            """
            INSERT INTO addresses (id, allocation_id, provider, region, pool, static, parameters, state, lease_id, created_at, updated_at)
            VALUES (\(newID(prefix: "a-")), \(allocationID), \(location.provider), \(location.region), NULL, 1, '{}', 'allocating', \(lease.id), \(now.milliseconds), \(now.milliseconds))
            ON CONFLICT (allocation_id) DO UPDATE SET state = 'allocating', lease_id = excluded.lease_id, updated_at = excluded.updated_at
            WHERE addresses.static = 1 AND addresses.lease_id IS NULL AND addresses.state IN ('released', 'lost')
                AND addresses.provider = excluded.provider AND addresses.region = excluded.region
            RETURNING id
            """
        )
        guard claimed.isEmpty else { return }
        let holder = try await sql.query(
            """
            SELECT l.id, l.namespace, l.pod, l.cluster, a.pool, a.provider, a.region, a.lease_id
            FROM addresses a LEFT JOIN leases l ON l.id = a.lease_id WHERE a.allocation_id = \(allocationID)
            """
        ).first
        let mayKnow = actor.clusterScope == nil || (holder?.string("cluster") != nil && holder?.string("cluster") == actor.clusterScope)
        if let holder, holder.string("lease_id") == nil,
            holder.string("provider") != location.provider || holder.string("region") != location.region
        {
            throw BrokerError.unprocessable(
                "eipInstanceId", "EIP \(allocationID) is not in the cluster's account and region (\(location.provider)/\(location.region))")
        }
        if let pool = holder?.string("pool") {
            let which = mayKnow ? "pool '\(pool)'" : "a pool"
            throw BrokerError(
                .addressInUse, "eipInstanceId: EIP \(allocationID) belongs to \(which)",
                fieldViolations: [.init(field: "eipInstanceId", rule: "must not be an address of a pool")])
        }
        let owner =
            holder.flatMap { row in
                mayKnow
                    ? row.string("pod").map { "pod \(row.string("namespace") ?? "")/\($0) of cluster \(row.string("cluster") ?? "")" } : nil
            } ?? "another lease"
        throw BrokerError(
            .addressInUse, "eipInstanceId: EIP \(allocationID) is held by \(owner)",
            fieldViolations: [.init(field: "eipInstanceId", rule: "must not be held by another pod")], retryAfter: 5)
    }

    static func insert(_ lease: Lease, in sql: any SQLExecutor) async throws {
        try await sql.query(
            """
            INSERT INTO leases (id, cluster, namespace, pod, pod_uid, pool, allocation_type, release_strategy, release_after_ms, parameters, reported,
                bandwidth_package_id, allocation_id, ip_address, phase, goal, active, needs_work, allow_rob, pod_last_seen, version, created_at, updated_at)
            VALUES (\(lease.id), \(lease.cluster), \(lease.namespace), \(lease.pod), \(lease.podUID), \(lease.pool), \(lease.allocationType.rawValue),
                \(lease.releaseStrategy.kind), \(lease.releaseStrategy.ttlMilliseconds), \(JSONColumn.encode(lease.parameters)),
                \(lease.reported.map(JSONColumn.encode)), \(lease.bandwidthPackageID), \(lease.allocationID), \(lease.ipAddress), \(lease.phase.rawValue), \(lease.goal.rawValue), 1,
                \(lease.needsWork), \(lease.allowRob), \(lease.podLastSeen?.milliseconds), 1, \(lease.createdAt.milliseconds), \(lease.updatedAt.milliseconds))
            """
        )
    }

    // MARK: Reading

    public func lease(id: String) async throws -> Lease? {
        try await database.query("SELECT * FROM leases WHERE id = \(id)").first.map(Self.lease(from:))
    }

    public func leases(filter: LeaseFilter, pageSize: Int, pageToken: String?) async throws -> Page<Lease> {
        let after = try PageToken.decode(pageToken) ?? ""
        var query: SQL = "SELECT * FROM leases WHERE id > \(after)"
        if let cluster = filter.cluster { query = query + " AND cluster = \(cluster)" }
        if let namespace = filter.namespace { query = query + " AND namespace = \(namespace)" }
        if let pool = filter.pool { query = query + " AND pool = \(pool)" }
        if let phase = filter.phase { query = query + " AND phase = \(phase.rawValue)" }
        if let ip = filter.ipAddress { query = query + " AND ip_address = \(ip)" }
        query = query + " ORDER BY id LIMIT \(pageSize + 1)"
        let rows = try await database.query(query)
        return Page(fetched: try rows.map(Self.lease(from:)), pageSize: pageSize, key: \.id)
    }

    static func lease(from row: SQLRow) throws -> Lease {
        Lease(
            id: try row.requiredString("id"), cluster: try row.requiredString("cluster"), namespace: try row.requiredString("namespace"),
            pod: try row.requiredString("pod"), podUID: try row.requiredString("pod_uid"), pool: row.string("pool"),
            allocationType: try row.required(AllocationType.self, "allocation_type"),
            releaseStrategy: try releaseStrategy(from: row),
            parameters: try row.requiredJSON(EIPParameters.self, "parameters"),
            reported: try row.json(EIPParameters.self, "reported"), bandwidthPackageID: row.string("bandwidth_package_id"),
            allocationID: row.string("allocation_id"),
            ipAddress: row.string("ip_address"),
            networkInterfaceID: row.string("network_interface_id"), privateIPAddress: row.string("private_ip_address"),
            phase: try row.required(LeasePhase.self, "phase"), goal: try row.required(LeaseGoal.self, "goal"),
            allowRob: row.bool("allow_rob"), retained: row.bool("retained"),
            podLastSeen: row.int64("pod_last_seen").map(Timestamp.init(milliseconds:)),
            releaseAt: row.int64("release_at").map(Timestamp.init(milliseconds:)), lastError: row.string("last_error"),
            version: Int(try row.requiredInt64("version")), createdAt: Timestamp(milliseconds: try row.requiredInt64("created_at")),
            updatedAt: Timestamp(milliseconds: try row.requiredInt64("updated_at"))
        )
    }

    /// The stored strategy: its kind, with the TTL a `TTL` lease must have.
    private static func releaseStrategy(from row: SQLRow) throws -> ReleaseStrategy {
        let kind = try row.requiredString("release_strategy")
        guard let strategy = ReleaseStrategy(kind: kind, ttlMilliseconds: row.int64("release_after_ms")) else {
            throw SQLError.invalidValue(column: "release_strategy", value: kind)
        }
        return strategy
    }

    // MARK: Changing the goal

    /// Asks for the lease's address to be bound to `privateIPAddress` (on `networkInterfaceID`,
    /// or the ENI the cloud finds for that IP).
    public func associate(leaseID: String, privateIPAddress: String, networkInterfaceID: String?, scope: String?, actor: Principal)
        async throws -> Lease
    {
        try await changeGoal(leaseID: leaseID, scope: scope) { lease, now, sql in
            guard lease.goal != .released, !lease.phase.isTerminal else {
                throw BrokerError(
                    .conflict, "lease \(lease.id) is \(lease.goal == .released ? "being released" : lease.phase.rawValue); allocate again")
            }
            if lease.goal == .associated, lease.privateIPAddress == privateIPAddress,
                networkInterfaceID == nil || networkInterfaceID == lease.networkInterfaceID
            {
                return nil
            }
            let eni = networkInterfaceID ?? (lease.privateIPAddress == privateIPAddress ? lease.networkInterfaceID : nil)
            try await sql.query(
                """
                UPDATE leases SET goal = \(LeaseGoal.associated.rawValue), private_ip_address = \(privateIPAddress), network_interface_id = \(eni),
                    retained = 0, release_at = NULL,
                    phase = CASE WHEN phase = \(LeasePhase.inUse.rawValue) THEN \(LeasePhase.disassociating.rawValue) ELSE phase END
                WHERE id = \(lease.id)
                """
            )
            try await sql.recordEvent(
                actor: actor.description, action: "lease.associate", subjectType: "lease", subjectID: lease.id, cluster: lease.cluster,
                message: "bind to \(privateIPAddress)" + (eni.map { " on \($0)" } ?? ""), at: now)
            return try await Self.touch(leaseID: lease.id, now: now, in: sql)
        }
    }

    /// Asks for the lease's address to be unbound and kept.
    public func disassociate(leaseID: String, scope: String?, actor: Principal) async throws -> Lease {
        try await changeGoal(leaseID: leaseID, scope: scope) { lease, now, sql in
            guard lease.goal != .released, !lease.phase.isTerminal else {
                throw BrokerError(.conflict, "lease \(lease.id) is \(lease.goal == .released ? "being released" : lease.phase.rawValue)")
            }
            guard lease.goal == .associated else { return nil }
            try await sql.query("UPDATE leases SET goal = \(LeaseGoal.allocated.rawValue) WHERE id = \(lease.id)")
            try await sql.recordEvent(
                actor: actor.description, action: "lease.disassociate", subjectType: "lease", subjectID: lease.id, cluster: lease.cluster,
                message: "unbind", at: now)
            return try await Self.touch(leaseID: lease.id, now: now, in: sql)
        }
    }

    /// Releases a lease as its strategy says: `Follow` gives the address up, TTL keeps it for the
    /// TTL, `Never` keeps it until a release with `force`. A static lease is only unbound.
    public func release(leaseID: String, force: Bool, scope: String?, actor: Principal) async throws -> Lease {
        try await changeGoal(leaseID: leaseID, scope: scope) { lease, now, sql in
            try await Self.applyRelease(
                to: lease, force: force, now: now, actor: actor, reason: force ? "forced release" : "release", in: sql)
        }
    }

    /// Carries out what releasing the lease does (``Lease/release(force:now:)``), makes the lease
    /// due and records the event.
    /// - Returns: the lease as the release left it (its goal `released` when it gives the address
    ///   up, `retained` when it keeps it); `nil` when the release changes nothing.
    @discardableResult
    static func applyRelease(to lease: Lease, force: Bool, now: Timestamp, actor: Principal, reason: String, in sql: any SQLExecutor)
        async throws -> Lease?
    {
        switch lease.release(force: force, now: now) {
        case .unchanged:
            return nil
        case .giveUp:
            try await sql.query(
                "UPDATE leases SET goal = \(LeaseGoal.released.rawValue), retained = 0, release_at = NULL WHERE id = \(lease.id)")
            try await sql.recordEvent(
                actor: actor.description, action: "lease.release", subjectType: "lease", subjectID: lease.id, cluster: lease.cluster,
                message: "\(reason): address \(lease.ipAddress ?? "(none)") to be released", at: now)
        case .retain(let releaseAt):
            try await sql.query(
                "UPDATE leases SET goal = \(LeaseGoal.allocated.rawValue), retained = 1, release_at = \(releaseAt?.milliseconds) WHERE id = \(lease.id)"
            )
            try await sql.recordEvent(
                actor: actor.description, action: "lease.retain", subjectType: "lease", subjectID: lease.id, cluster: lease.cluster,
                message: "\(reason): address \(lease.ipAddress ?? "(pending)") kept "
                    + (lease.releaseStrategy.releaseAfter.map { "for \($0)" } ?? "until a forced release"), at: now
            )
        }
        // A goal change must mark the lease as work, or the reconciler never acts on it.
        return try await touch(leaseID: lease.id, now: now, in: sql)
    }

    /// Locks a lease and lets `change` set its goal (and ``touch(leaseID:now:in:)`` it); returns
    /// the lease as `change` left it, or as it was when `change` changed nothing (`nil`).
    private func changeGoal(
        leaseID: String, scope: String?, _ change: @escaping @Sendable (Lease, Timestamp, any SQLExecutor) async throws -> Lease?
    ) async throws -> Lease {
        try await transaction { sql in
            guard let row = try await sql.query("SELECT * FROM leases WHERE id = \(leaseID)\(raw: sql.dialect.forUpdate)").first else {
                throw BrokerError.notFound("lease", leaseID)
            }
            let lease = try Self.lease(from: row)
            if let scope, lease.cluster != scope { throw BrokerError.notFound("lease", leaseID) }
            return try await change(lease, clock.timestamp, sql) ?? lease
        }
    }

    /// After a goal change: recompute `needs_work`, make the lease due now, bump the version.
    /// A statement of its own, after the one that set the goal: `needs_work` is computed from
    /// the goal and phase the row has now (within one `UPDATE`, every expression sees the old row).
    /// - Returns: the lease as it is now.
    @discardableResult
    static func touch(leaseID: String, now: Timestamp, in sql: any SQLExecutor) async throws -> Lease {
        let rows = try await sql.query(
            """
            UPDATE leases SET needs_work = \(needsWork), next_attempt_at = \(now.milliseconds), attempts = 0, last_error = NULL,
                version = version + 1, updated_at = \(now.milliseconds)
            WHERE id = \(leaseID)
            RETURNING *
            """
        )
        guard let row = rows.first else { throw BrokerError.notFound("lease", leaseID) }
        return try lease(from: row)
    }

    // MARK: Heartbeats

    /// Records the full set of live pods a cluster's agent sees. Leases of pods not in the set
    /// and older than `grace` get their release strategy applied; the others are marked seen.
    public func heartbeat(cluster: String, pods: [(namespace: String, pod: String, podUID: String)], grace: Duration, actor: Principal)
        async throws -> HeartbeatOutcome
    {
        let live = Set(pods.map { "\($0.namespace)/\($0.pod)/\($0.podUID)" })
        return try await transaction { sql in
            let now = clock.timestamp
            guard let clusterRow = try await sql.query("SELECT silent_since FROM clusters WHERE name = \(cluster)").first else {
                throw BrokerError.unprocessable("cluster", "cluster '\(cluster)' does not exist")
            }
            let graceMS = grace.wholeMilliseconds
            var outcome = HeartbeatOutcome(seen: 0, released: [], retained: [])
            // Leases before the cluster (the lock order): the heartbeat is recorded last.
            let rows = try await sql.query(
                "SELECT * FROM leases WHERE cluster = \(cluster) AND active = 1 AND goal <> 'released' AND retained = 0 ORDER BY id\(raw: sql.dialect.forUpdate)"
            )
            for row in rows {
                let lease = try Self.lease(from: row)
                if live.contains("\(lease.namespace)/\(lease.pod)/\(lease.podUID)") {
                    outcome.seen += 1
                    try await sql.query("UPDATE leases SET pod_last_seen = \(now.milliseconds) WHERE id = \(lease.id)")
                    continue
                }
                let lastSeen = max(lease.podLastSeen ?? lease.createdAt, lease.updatedAt)
                guard now.milliseconds - lastSeen.milliseconds >= graceMS else { continue }
                let released = try await Self.applyRelease(
                    to: lease, force: false, now: now, actor: actor, reason: "pod \(lease.namespace)/\(lease.pod) is gone (heartbeat)",
                    in: sql)
                switch released?.goal {
                case .released: outcome.released.append(lease.id)
                case .some: outcome.retained.append(lease.id)
                case nil: break
                }
            }
            try await sql.query("UPDATE clusters SET last_heartbeat = \(now.milliseconds), silent_since = NULL WHERE name = \(cluster)")
            if let silentSince = clusterRow.int64("silent_since") {
                try await sql.recordEvent(
                    actor: actor.description, action: "cluster.heard", subjectType: "cluster", subjectID: cluster, cluster: cluster,
                    message: "heartbeat again after silence since \(Timestamp(milliseconds: silentSince))", at: now
                )
            }
            return outcome
        }
    }
}
