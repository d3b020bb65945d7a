public import EIPCore
import EIPSQL

extension BrokerStore {
    static let poolColumns = """
        p.*, (SELECT COUNT(*) FROM addresses a WHERE a.pool = p.name AND a.state = 'idle') AS idle_count,
        (SELECT COUNT(*) FROM addresses a WHERE a.pool = p.name AND a.state = 'leased') AS leased_count
        """

    public func createPool(name: String, settings: PoolSettings, actor: Principal) async throws -> Pool {
        let now = clock.timestamp
        do {
            try await transaction { sql in
                try await Self.checkPackages(settings.bandwidthPackages, region: settings.region, provider: settings.provider, in: sql)
                try await Self.checkClusters(settings.clusters ?? [], in: sql)
                try await sql.query(
                    """
                    INSERT INTO pools (name, provider, region, defaults, bandwidth_packages, warm_min, warm_max, max_size, clusters, created_at, updated_at)
                    VALUES (\(name), \(settings.provider), \(settings.region), \(JSONColumn.encode(settings.defaults)),
                            \(JSONColumn.encode(settings.bandwidthPackages)), \(settings.warm.min), \(settings.warm.max), \(settings.maxSize),
                            \(settings.clusters.map(JSONColumn.encode)), \(now.milliseconds), \(now.milliseconds))
                    """
                )
                try await sql.recordEvent(
                    actor: actor.description, action: "pool.create", subjectType: "pool", subjectID: name, cluster: nil,
                    message: "maxSize \(settings.maxSize), warm \(settings.warm.min)..\(settings.warm.max)", at: now)
            }
        } catch SQLError.uniqueViolation {
            throw BrokerError(.conflict, "pool '\(name)' already exists")
        }
        guard let pool = try await pool(named: name) else { throw BrokerError.notFound("pool", name) }
        return pool
    }

    static func checkPackages(_ ids: [String], region: String, provider: String, in sql: any SQLExecutor) async throws {
        for (index, id) in ids.enumerated() {
            guard let row = try await sql.query("SELECT region, provider FROM bandwidth_packages WHERE id = \(id)").first else {
                throw BrokerError(
                    .unprocessable, "bandwidthPackages[\(index)]: bandwidth package '\(id)' is not registered: create it first",
                    fieldViolations: [
                        .init(field: "bandwidthPackages[\(index)]", rule: "must name a registered bandwidth package", isContextual: true)
                    ]
                )
            }
            guard row.string("region") == region, row.string("provider") == provider else {
                throw BrokerError.unprocessable(
                    "bandwidthPackages[\(index)]",
                    "bandwidth package '\(id)' is in \(row.string("provider") ?? "")/\(row.string("region") ?? ""), not the pool's \(provider)/\(region)"
                )
            }
        }
    }

    /// Every cluster a pool is opened to must be registered (`422 Unprocessable` otherwise).
    static func checkClusters(_ names: [String], in sql: any SQLExecutor) async throws {
        for (index, name) in names.enumerated() {
            guard try await sql.query("SELECT name FROM clusters WHERE name = \(name)").isEmpty else { continue }
            throw BrokerError(
                .unprocessable, "clusters[\(index)]: cluster '\(name)' does not exist",
                fieldViolations: [.init(field: "clusters[\(index)]", rule: "must name a registered cluster", isContextual: true)]
            )
        }
    }

    public func pool(named name: String) async throws -> Pool? {
        try await database.query("SELECT \(raw: Self.poolColumns) FROM pools p WHERE p.name = \(name)").first.map(Self.pool(from:))
    }

    public func pools(visibleTo principal: Principal, pageSize: Int, pageToken: String?) async throws -> Page<Pool> {
        let after = try PageToken.decode(pageToken) ?? ""
        var items: [Pool] = []
        var cursor = after
        // Filtering by cluster happens after decoding (the allow-list is JSON); keep reading pages until full.
        while items.count <= pageSize {
            let rows = try await database.query(
                "SELECT \(raw: Self.poolColumns) FROM pools p WHERE p.name > \(cursor) ORDER BY p.name LIMIT \(pageSize + 1)")
            for row in rows {
                let pool = try Self.pool(from: row)
                cursor = pool.name
                if let cluster = principal.clusterScope, !pool.admits(cluster: cluster) { continue }
                items.append(pool)
            }
            if rows.count <= pageSize { break }
        }
        return Page(fetched: items, pageSize: pageSize, key: \.name)
    }

    /// Replaces a pool's settings. Refuses a `maxSize` below the addresses the pool holds.
    public func updatePool(name: String, actor: Principal, change: @Sendable (inout PoolSettings) throws -> Void) async throws -> Pool {
        try await transaction { sql in
            guard
                let row = try await sql.query(
                    "SELECT \(raw: Self.poolColumns) FROM pools p WHERE p.name = \(name)\(raw: sql.dialect.forUpdate)"
                ).first
            else {
                throw BrokerError.notFound("pool", name)
            }
            let pool = try Self.pool(from: row)
            var settings = pool.settings
            try change(&settings)
            guard settings.maxSize >= pool.size else {
                throw BrokerError.unprocessable("maxSize", "must be at least the \(pool.size) addresses the pool holds now")
            }
            guard settings.warm.min <= settings.warm.max, settings.warm.max <= settings.maxSize else {
                throw BrokerError.unprocessable("warm", "needs 0 <= warm.min <= warm.max <= maxSize")
            }
            try await Self.checkPackages(settings.bandwidthPackages, region: settings.region, provider: settings.provider, in: sql)
            try await Self.checkClusters(settings.clusters ?? [], in: sql)
            try await sql.query(
                """
                UPDATE pools SET defaults = \(JSONColumn.encode(settings.defaults)), bandwidth_packages = \(JSONColumn.encode(settings.bandwidthPackages)),
                    warm_min = \(settings.warm.min), warm_max = \(settings.warm.max), max_size = \(settings.maxSize),
                    clusters = \(settings.clusters.map(JSONColumn.encode)), updated_at = \(clock.timestamp.milliseconds)
                WHERE name = \(name)
                """
            )
            try await sql.recordEvent(
                actor: actor.description, action: "pool.update", subjectType: "pool", subjectID: name, cluster: nil,
                message: "maxSize \(settings.maxSize), warm \(settings.warm.min)..\(settings.warm.max)", at: clock.timestamp)
            let updated = try await sql.query("SELECT \(raw: Self.poolColumns) FROM pools p WHERE p.name = \(name)")
            return try Self.pool(from: updated[0])
        }
    }

    /// Deletes an empty pool. A pool that still holds addresses is refused: set its warm range
    /// to 0 and release its leases first, and the broker gives the idle addresses back.
    public func deletePool(name: String, actor: Principal) async throws {
        try await transaction { sql in
            guard let row = try await sql.query("SELECT size FROM pools WHERE name = \(name)\(raw: sql.dialect.forUpdate)").first else {
                throw BrokerError.notFound("pool", name)
            }
            let size = row.int("size") ?? 0
            guard size == 0 else {
                throw BrokerError(
                    .conflict, "pool '\(name)' still holds \(size) addresses: set warm to {min: 0, max: 0} and release its leases first")
            }
            try await sql.query("DELETE FROM addresses WHERE pool = \(name) AND state IN ('released', 'lost')")
            try await sql.query("DELETE FROM pools WHERE name = \(name)")
            try await sql.recordEvent(
                actor: actor.description, action: "pool.delete", subjectType: "pool", subjectID: name, cluster: nil, message: "deleted",
                at: clock.timestamp)
        }
    }

    static func pool(from row: SQLRow) throws -> Pool {
        Pool(
            name: try row.requiredString("name"),
            settings: PoolSettings(
                provider: try row.requiredString("provider"), region: try row.requiredString("region"),
                defaults: EIPParameters.ackDefaults.overridden(by: try row.requiredJSON(EIPParameters.self, "defaults")),
                bandwidthPackages: try row.requiredJSON([String].self, "bandwidth_packages"),
                warm: WarmRange(min: Int(try row.requiredInt64("warm_min")), max: Int(try row.requiredInt64("warm_max"))),
                maxSize: Int(try row.requiredInt64("max_size")), clusters: try row.json([String].self, "clusters")),
            size: Int(try row.requiredInt64("size")), idle: row.int("idle_count") ?? 0, leased: row.int("leased_count") ?? 0,
            createdAt: Timestamp(milliseconds: try row.requiredInt64("created_at")),
            updatedAt: Timestamp(milliseconds: try row.requiredInt64("updated_at"))
        )
    }

    // MARK: Bandwidth packages

    public func createBandwidthPackage(_ package: BandwidthPackage, actor: Principal) async throws -> BandwidthPackage {
        do {
            try await transaction { sql in
                try await sql.query(
                    """
                    INSERT INTO bandwidth_packages (id, provider, region, max_ips, created_at)
                    VALUES (\(package.id), \(package.provider), \(package.region), \(package.maxIPs), \(package.createdAt.milliseconds))
                    """
                )
                try await sql.recordEvent(
                    actor: actor.description, action: "bandwidthPackage.create", subjectType: "bandwidthPackage", subjectID: package.id,
                    cluster: nil, message: "maxIps \(package.maxIPs)", at: clock.timestamp)
            }
        } catch SQLError.uniqueViolation {
            throw BrokerError(.conflict, "bandwidth package '\(package.id)' already exists")
        }
        return package
    }

    /// Registers a package the cloud reported (``BandwidthPackage/discoveredFor``), unless one of
    /// that id is registered already (by an admin, or by a concurrent request): returns the
    /// package as registered.
    public func registerDiscoveredBandwidthPackage(_ package: BandwidthPackage, actor: Principal) async throws -> BandwidthPackage {
        try await transaction { sql in
            let inserted = try await sql.query(
                """
                INSERT INTO bandwidth_packages (id, provider, region, max_ips, discovered_for, created_at)
                VALUES (\(package.id), \(package.provider), \(package.region), \(package.maxIPs), \(package.discoveredFor),
                    \(package.createdAt.milliseconds))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """
            )
            if !inserted.isEmpty {
                try await sql.recordEvent(
                    actor: actor.description, action: "bandwidthPackage.discovered", subjectType: "bandwidthPackage",
                    subjectID: package.id, cluster: actor.clusterScope,
                    message:
                        "named by a pod of pool \(package.discoveredFor ?? "") and found in \(package.provider)/\(package.region): maxIps \(package.maxIPs)",
                    at: clock.timestamp)
            }
            guard let row = try await sql.query("SELECT * FROM bandwidth_packages WHERE id = \(package.id)").first else {
                throw BrokerError(.internalError, "bandwidth package '\(package.id)' vanished while it was registered")
            }
            return try Self.bandwidthPackage(from: row)
        }
    }

    public func bandwidthPackage(id: String) async throws -> BandwidthPackage? {
        try await database.query("SELECT * FROM bandwidth_packages WHERE id = \(id)").first.map(Self.bandwidthPackage(from:))
    }

    public func bandwidthPackages(pageSize: Int, pageToken: String?) async throws -> Page<BandwidthPackage> {
        let after = try PageToken.decode(pageToken) ?? ""
        let rows = try await database.query("SELECT * FROM bandwidth_packages WHERE id > \(after) ORDER BY id LIMIT \(pageSize + 1)")
        return Page(fetched: try rows.map(Self.bandwidthPackage(from:)), pageSize: pageSize, key: \.id)
    }

    /// Deletes a package no address is in and no pool names.
    public func deleteBandwidthPackage(id: String, actor: Principal) async throws {
        try await transaction { sql in
            guard
                let row = try await sql.query("SELECT members FROM bandwidth_packages WHERE id = \(id)\(raw: sql.dialect.forUpdate)").first
            else {
                throw BrokerError.notFound("bandwidth package", id)
            }
            let members = row.int("members") ?? 0
            guard members == 0 else {
                throw BrokerError(.conflict, "bandwidth package '\(id)' still holds \(members) of the broker's addresses")
            }
            for pool in try await sql.query("SELECT name, bandwidth_packages FROM pools") {
                if try pool.requiredJSON([String].self, "bandwidth_packages").contains(id) {
                    throw BrokerError(.conflict, "pool '\(pool.string("name") ?? "")' still names bandwidth package '\(id)'")
                }
            }
            try await sql.query(
                "UPDATE addresses SET bandwidth_package_id = NULL WHERE bandwidth_package_id = \(id) AND state IN ('released', 'lost')")
            try await sql.query("DELETE FROM bandwidth_packages WHERE id = \(id)")
            try await sql.recordEvent(
                actor: actor.description, action: "bandwidthPackage.delete", subjectType: "bandwidthPackage", subjectID: id, cluster: nil,
                message: "deleted", at: clock.timestamp)
        }
    }

    static func bandwidthPackage(from row: SQLRow) throws -> BandwidthPackage {
        BandwidthPackage(
            id: try row.requiredString("id"), provider: try row.requiredString("provider"), region: try row.requiredString("region"),
            maxIPs: row.int("max_ips") ?? 0, members: row.int("members") ?? 0, discoveredFor: row.string("discovered_for"),
            createdAt: Timestamp(milliseconds: try row.requiredInt64("created_at"))
        )
    }
}
