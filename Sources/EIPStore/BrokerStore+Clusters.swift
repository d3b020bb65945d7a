public import EIPCore
import EIPSQL

/// Who a stored token stands for: the principal, and for a cluster token the cluster's id.
public struct TokenOwner: Sendable, Hashable {
    public var principal: Principal
    /// The cluster's immutable id (``Cluster/id``); `nil` for an admin.
    public var clusterID: String?

    public init(principal: Principal, clusterID: String? = nil) {
        self.principal = principal
        self.clusterID = clusterID
    }

    /// What the caller's state (rate limits, idempotency keys) is kept under: the cluster's
    /// immutable id, or `admin`.
    public var identity: String { clusterID ?? "admin" }
}

extension BrokerStore {
    /// Registers a cluster: its agent's quota, where its pods are, and whether it may rob static EIPs.
    public func createCluster(name: String, quota: Int, location: ClusterLocation, allowRob: Bool = false, actor: Principal) async throws
        -> Cluster
    {
        let now = clock.timestamp
        let cluster = Cluster(
            id: Self.newID(prefix: "c-"), name: name, location: location, allowRob: allowRob, quota: quota, createdAt: now)
        do {
            try await transaction { sql in
                try await sql.query(
                    """
                    INSERT INTO clusters (id, name, provider, region, vpc_ids, allow_rob, quota, created_at, updated_at)
                    VALUES (\(cluster.id), \(name), \(location.provider), \(location.region), \(JSONColumn.encode(location.vpcIDs)),
                            \(allowRob), \(quota), \(now.milliseconds), \(now.milliseconds))
                    """
                )
                try await sql.recordEvent(
                    actor: actor.description, action: "cluster.create", subjectType: "cluster", subjectID: name, cluster: name,
                    message:
                        "quota \(quota), \(location.provider)/\(location.region)\(Self.describe(vpcIDs: location.vpcIDs))\(allowRob ? ", may rob static EIPs" : "")",
                    at: now
                )
            }
        } catch SQLError.uniqueViolation {
            throw BrokerError(.conflict, "cluster '\(name)' already exists")
        }
        return cluster
    }

    public func cluster(named name: String) async throws -> Cluster? {
        try await database.transaction { try await Self.cluster(named: name, in: $0) }
    }

    static func cluster(named name: String, in sql: any SQLExecutor) async throws -> Cluster? {
        try await sql.query("SELECT * FROM clusters WHERE name = \(name)").first.map(Self.cluster(from:))
    }

    public func clusters(pageSize: Int, pageToken: String?) async throws -> Page<Cluster> {
        let after = try PageToken.decode(pageToken) ?? ""
        let rows = try await database.query("SELECT * FROM clusters WHERE name > \(after) ORDER BY name LIMIT \(pageSize + 1)")
        return Page(fetched: try rows.map(Self.cluster(from:)), pageSize: pageSize, key: \.name)
    }

    /// Changes a cluster's quota, VPCs or `allowRob`; `nil` keeps a setting. Lowering the quota
    /// below the active leases is allowed: no lease is taken away, but no new one is granted until
    /// the count falls under the quota. The account and region never change: leases are bound there.
    public func updateCluster(name: String, quota: Int?, vpcIDs: [String]? = nil, allowRob: Bool? = nil, actor: Principal) async throws
        -> Cluster
    {
        try await transaction { sql in
            guard try await !sql.query("SELECT name FROM clusters WHERE name = \(name)\(raw: sql.dialect.forUpdate)").isEmpty else {
                throw BrokerError.notFound("cluster", name)
            }
            let now = clock.timestamp.milliseconds
            var changes: [String] = []
            if let quota {
                try await sql.query("UPDATE clusters SET quota = \(quota), updated_at = \(now) WHERE name = \(name)")
                changes.append("quota \(quota)")
            }
            if let vpcIDs {
                try await sql.query("UPDATE clusters SET vpc_ids = \(JSONColumn.encode(vpcIDs)), updated_at = \(now) WHERE name = \(name)")
                changes.append("VPCs \(vpcIDs.isEmpty ? "(default)" : vpcIDs.joined(separator: ", "))")
            }
            if let allowRob {
                try await sql.query("UPDATE clusters SET allow_rob = \(allowRob), updated_at = \(now) WHERE name = \(name)")
                changes.append(allowRob ? "may rob static EIPs" : "may not rob static EIPs")
            }
            if !changes.isEmpty {
                try await sql.recordEvent(
                    actor: actor.description, action: "cluster.update", subjectType: "cluster", subjectID: name, cluster: name,
                    message: changes.joined(separator: ", "), at: Timestamp(milliseconds: now))
            }
            guard let cluster = try await Self.cluster(named: name, in: sql) else { throw BrokerError.notFound("cluster", name) }
            return cluster
        }
    }

    /// Deletes a cluster and its tokens; refused while it holds active leases.
    public func deleteCluster(name: String, actor: Principal) async throws {
        try await transaction { sql in
            guard
                let row = try await sql.query("SELECT active_leases FROM clusters WHERE name = \(name)\(raw: sql.dialect.forUpdate)").first
            else {
                throw BrokerError.notFound("cluster", name)
            }
            let active = row.int("active_leases") ?? 0
            guard active == 0 else {
                throw BrokerError(.conflict, "cluster '\(name)' still holds \(active) active leases: release them first")
            }
            // Recorded while the row still exists, so the event carries the cluster's id.
            try await sql.recordEvent(
                actor: actor.description, action: "cluster.delete", subjectType: "cluster", subjectID: name, cluster: name,
                message: "deleted", at: clock.timestamp)
            try await sql.query("DELETE FROM tokens WHERE cluster = \(name)")
            try await sql.query("DELETE FROM leases WHERE cluster = \(name) AND active = 0")
            try await sql.query("DELETE FROM clusters WHERE name = \(name)")
        }
    }

    /// Gives clusters registered before clusters had a location the broker's default account and
    /// region. - Returns: how many it placed.
    @discardableResult
    public func placeUnlocatedClusters(provider: String, region: String) async throws -> Int {
        try await database.query(
            "UPDATE clusters SET provider = \(provider), region = \(region) WHERE provider IS NULL OR region IS NULL RETURNING name"
        ).count
    }

    /// Marks the clusters that hold leases and whose agent, having sent heartbeats, has sent none
    /// for `after` as silent, once per silence, with a `cluster.silent` event. Their leases are
    /// kept. A cluster that never sent one (an agent in node mode sends none) is never silent.
    /// - Returns: the clusters that fell silent now, and how many are silent.
    public func markSilentClusters(after: Duration, actor: String) async throws -> (newlySilent: [String], silent: Int) {
        try await transaction { sql in
            let now = clock.timestamp
            let cutoff = now.adding(.zero - after).milliseconds
            let rows = try await sql.query(
                """
                UPDATE clusters SET silent_since = \(now.milliseconds)
                WHERE silent_since IS NULL AND active_leases > 0 AND last_heartbeat IS NOT NULL AND last_heartbeat < \(cutoff)
                RETURNING name, active_leases, last_heartbeat
                """
            )
            var names: [String] = []
            for row in rows {
                let name = try row.requiredString("name")
                let since = row.int64("last_heartbeat").map { "since \(Timestamp(milliseconds: $0))" } ?? ""
                try await sql.recordEvent(
                    actor: actor, action: "cluster.silent", subjectType: "cluster", subjectID: name, cluster: name,
                    message: "no heartbeat \(since); its \(row.int("active_leases") ?? 0) active leases are kept", at: now
                )
                names.append(name)
            }
            let silent = try await sql.query("SELECT COUNT(*) AS n FROM clusters WHERE silent_since IS NOT NULL").first?.int("n") ?? 0
            return (names, silent)
        }
    }

    static func cluster(from row: SQLRow) throws -> Cluster {
        Cluster(
            id: try row.requiredString("id"), name: try row.requiredString("name"),
            location: ClusterLocation(
                provider: row.string("provider") ?? "", region: row.string("region") ?? "",
                vpcIDs: try row.requiredJSON([String].self, "vpc_ids")
            ),
            allowRob: row.bool("allow_rob"), quota: row.int("quota") ?? 0, activeLeases: row.int("active_leases") ?? 0,
            lastHeartbeat: row.int64("last_heartbeat").map(Timestamp.init(milliseconds:)),
            silentSince: row.int64("silent_since").map(Timestamp.init(milliseconds:)),
            createdAt: Timestamp(milliseconds: try row.requiredInt64("created_at"))
        )
    }

    private static func describe(vpcIDs: [String]) -> String {
        vpcIDs.isEmpty ? "" : " in " + vpcIDs.joined(separator: ", ")
    }

    // MARK: Tokens

    /// A new token record id.
    public static func newTokenID() -> String { newID(prefix: "t-") }

    /// Stores a token's hash for a cluster (or an admin when `cluster` is nil).
    public func addToken(id: String, hash: String, cluster: String?, actor: Principal) async throws {
        try await transaction { sql in
            if let cluster {
                guard try await !sql.query("SELECT name FROM clusters WHERE name = \(cluster)").isEmpty else {
                    throw BrokerError.notFound("cluster", cluster)
                }
            }
            try await sql.query(
                """
                INSERT INTO tokens (id, token_hash, role, cluster, created_at)
                VALUES (\(id), \(hash), \(cluster == nil ? "admin" : "cluster"), \(cluster), \(clock.timestamp.milliseconds))
                """
            )
            try await sql.recordEvent(
                actor: actor.description, action: "token.create", subjectType: cluster == nil ? "admin" : "cluster",
                subjectID: cluster ?? id, cluster: cluster, message: "token \(id) issued", at: clock.timestamp)
        }
    }

    /// Sets the bootstrap admin token's hash, replacing an earlier one; replicas starting
    /// together with the same token each write it once, without conflict.
    ///
    /// `ON CONFLICT (id)` covers the row another replica committed before; one it inserts at
    /// the same moment is seen first by the `token_hash` index, which PostgreSQL reports as a
    /// unique violation instead: the write is then made again, and finds the committed row.
    public func setBootstrapAdminToken(hash: String) async throws {
        for attempt in 1...3 {
            do {
                try await database.query(
                    """
                    INSERT INTO tokens (id, token_hash, role, cluster, created_at)
                    VALUES ('bootstrap-admin', \(hash), 'admin', NULL, \(clock.timestamp.milliseconds))
                    ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at
                    """
                )
                return
            } catch SQLError.uniqueViolation where attempt < 3 {
                continue
            }
        }
    }

    public func hasAdminToken() async throws -> Bool {
        try await !database.query("SELECT id FROM tokens WHERE role = 'admin' LIMIT 1").isEmpty
    }

    /// The stored hash that matches `hash`, with who it stands for.
    public func owner(ofTokenHash hash: String) async throws -> (hash: String, owner: TokenOwner)? {
        guard
            let row = try await database.query(
                "SELECT t.token_hash, t.role, t.cluster, c.id AS cluster_id FROM tokens t LEFT JOIN clusters c ON c.name = t.cluster WHERE t.token_hash = \(hash)"
            ).first
        else {
            return nil
        }
        let stored = try row.requiredString("token_hash")
        if row.string("role") == "admin" { return (stored, TokenOwner(principal: .admin)) }
        return (stored, TokenOwner(principal: .cluster(try row.requiredString("cluster")), clusterID: try row.requiredString("cluster_id")))
    }
}
