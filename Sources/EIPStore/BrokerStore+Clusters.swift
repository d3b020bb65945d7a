public import EIPCore

extension BrokerStore {
    public func createCluster(name: String, quota: Int, actor: Principal) async throws -> Cluster {
        let now = Timestamp.now
        do {
            try await transaction { sql in
                try await sql.query(
                    "INSERT INTO clusters (name, quota, created_at, updated_at) VALUES (\(name), \(quota), \(now.milliseconds), \(now.milliseconds))"
                )
                try await sql.recordEvent(actor: actor.description, action: "cluster.create", subjectType: "cluster", subjectID: name, cluster: name, message: "quota \(quota)")
            }
        } catch SQLError.uniqueViolation {
            throw BrokerError(.conflict, "cluster '\(name)' already exists")
        }
        return Cluster(name: name, quota: quota, createdAt: now)
    }

    public func cluster(named name: String) async throws -> Cluster? {
        try await database.query("SELECT * FROM clusters WHERE name = \(name)").first.map(Self.cluster(from:))
    }

    public func clusters(pageSize: Int, pageToken: String?) async throws -> Page<Cluster> {
        let after = try PageToken.decode(pageToken) ?? ""
        let rows = try await database.query("SELECT * FROM clusters WHERE name > \(after) ORDER BY name LIMIT \(pageSize + 1)")
        let items = try rows.prefix(pageSize).map(Self.cluster(from:))
        return Page(items: items, nextPageToken: rows.count > pageSize ? items.last.map { PageToken.encode($0.name) } : nil)
    }

    /// Changes a cluster's quota. Lowering it below the active leases is allowed: no lease is
    /// taken away, but no new one is granted until the count falls under the quota.
    public func updateCluster(name: String, quota: Int?, actor: Principal) async throws -> Cluster {
        try await transaction { sql in
            if let quota {
                try await sql.query("UPDATE clusters SET quota = \(quota), updated_at = \(Timestamp.now.milliseconds) WHERE name = \(name)")
                try await sql.recordEvent(actor: actor.description, action: "cluster.update", subjectType: "cluster", subjectID: name, cluster: name, message: "quota \(quota)")
            }
            guard let row = try await sql.query("SELECT * FROM clusters WHERE name = \(name)").first else {
                throw BrokerError.notFound("cluster", name)
            }
            return try Self.cluster(from: row)
        }
    }

    /// Deletes a cluster and its tokens; refused while it holds active leases.
    public func deleteCluster(name: String, actor: Principal) async throws {
        try await transaction { sql in
            guard let row = try await sql.query("SELECT active_leases FROM clusters WHERE name = \(name)\(raw: sql.dialect.forUpdate)").first else {
                throw BrokerError.notFound("cluster", name)
            }
            let active = row.int("active_leases") ?? 0
            guard active == 0 else {
                throw BrokerError(.conflict, "cluster '\(name)' still holds \(active) active leases: release them first")
            }
            try await sql.query("DELETE FROM tokens WHERE cluster = \(name)")
            try await sql.query("DELETE FROM leases WHERE cluster = \(name) AND active = 0")
            try await sql.query("DELETE FROM clusters WHERE name = \(name)")
            try await sql.recordEvent(actor: actor.description, action: "cluster.delete", subjectType: "cluster", subjectID: name, cluster: name, message: "deleted")
        }
    }

    static func cluster(from row: SQLRow) throws -> Cluster {
        Cluster(
            name: try row.requiredString("name"), quota: row.int("quota") ?? 0, activeLeases: row.int("active_leases") ?? 0,
            lastHeartbeat: row.int64("last_heartbeat").map(Timestamp.init(milliseconds:)),
            createdAt: Timestamp(milliseconds: try row.requiredInt64("created_at"))
        )
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
                VALUES (\(id), \(hash), \(cluster == nil ? "admin" : "cluster"), \(cluster), \(Timestamp.now.milliseconds))
                """
            )
            try await sql.recordEvent(actor: actor.description, action: "token.create", subjectType: cluster == nil ? "admin" : "cluster", subjectID: cluster ?? id, cluster: cluster, message: "token \(id) issued")
        }
    }

    /// Sets the bootstrap admin token's hash, replacing an earlier one.
    public func setBootstrapAdminToken(hash: String) async throws {
        try await transaction { sql in
            try await sql.query("DELETE FROM tokens WHERE id = 'bootstrap-admin'")
            try await sql.query(
                "INSERT INTO tokens (id, token_hash, role, cluster, created_at) VALUES ('bootstrap-admin', \(hash), 'admin', NULL, \(Timestamp.now.milliseconds))"
            )
        }
    }

    public func hasAdminToken() async throws -> Bool {
        try await !database.query("SELECT id FROM tokens WHERE role = 'admin' LIMIT 1").isEmpty
    }

    /// The stored hashes that match `hash`, with who they stand for.
    public func principal(forTokenHash hash: String) async throws -> (hash: String, principal: Principal)? {
        guard let row = try await database.query("SELECT token_hash, role, cluster FROM tokens WHERE token_hash = \(hash)").first else {
            return nil
        }
        let stored = try row.requiredString("token_hash")
        if row.string("role") == "admin" { return (stored, .admin) }
        return (stored, .cluster(try row.requiredString("cluster")))
    }
}
