import Foundation

/// One owner's schema as numbered migrations, applied once each and recorded in the owner's own
/// history table. Never edit a released migration: add a new one.
///
/// The books (`EIPStore`) and the simulated cloud (`EIPCloudSimulated`) each have one, with a
/// history table of their own, so either can live in a database with or without the other.
///
/// ```swift
/// let schema = SchemaMigrations(historyTable: "schema_migrations", migrations: [
///     .init(version: 1, name: "books", statements: ["CREATE TABLE clusters (name TEXT PRIMARY KEY)"]),
/// ])
/// try await schema.apply(to: database)
/// ```
public struct SchemaMigrations: Sendable {
    /// One step of a schema.
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        /// Statements; `{{serial}}` becomes the dialect's auto-increment key.
        public var statements: [String]

        public init(version: Int, name: String, statements: [String]) {
            self.version = version
            self.name = name
            self.statements = statements
        }
    }

    /// The table that records which versions ran (`version`, `name`, `applied_at`).
    public let historyTable: String
    /// Every migration, in version order.
    public let migrations: [Migration]

    /// - Parameters:
    ///   - historyTable: a trusted table name, distinct for each schema sharing a database.
    ///   - migrations: the steps, with increasing versions.
    public init(historyTable: String, migrations: [Migration]) {
        precondition(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version }, "migration versions must increase")
        self.historyTable = historyTable
        self.migrations = migrations
    }

    /// Applies every migration not yet recorded, each in its own transaction. Safe to run from
    /// several replicas at once: on PostgreSQL each transaction first takes one advisory lock,
    /// so replicas starting together queue instead of racing on DDL (two concurrent `CREATE
    /// TABLE IF NOT EXISTS` of one table fail on `pg_type`'s unique index), and the history
    /// table's primary key records each version once.
    public func apply(to database: any SQLDatabase) async throws {
        try await database.transaction { sql in
            try await Self.lock(sql)
            try await sql.query(
                "CREATE TABLE IF NOT EXISTS \(raw: historyTable) (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
        }
        for migration in migrations {
            try await database.transaction { sql in
                try await Self.lock(sql)
                let done = try await sql.query("SELECT version FROM \(raw: historyTable) WHERE version = \(migration.version)")
                guard done.isEmpty else { return }
                let serial = sql.dialect == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
                for statement in migration.statements {
                    try await sql.query(SQL(stringLiteral: statement.replacingOccurrences(of: "{{serial}}", with: serial)))
                }
                let appliedAt = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                try await sql.query(
                    "INSERT INTO \(raw: historyTable) (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(appliedAt))"
                )
            }
        }
    }

    /// The advisory lock every migrating transaction holds on PostgreSQL until it ends (SQLite's
    /// writers are serialized anyway). One lock for every schema: migrations are rare.
    private static func lock(_ sql: some SQLExecutor) async throws {
        guard sql.dialect == .postgres else { return }
        try await sql.query("SELECT pg_advisory_xact_lock(\(lockKey))")
    }

    /// The advisory lock's key: "eipmigr" in ASCII, a number no lock of the books uses.
    static let lockKey: Int64 = 0x65_6970_6D69_6772
}
