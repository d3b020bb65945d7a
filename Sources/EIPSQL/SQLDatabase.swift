public import ServiceLifecycle

/// A relational database the store and the simulated cloud run on: PostgreSQL or SQLite.
///
/// Every statement runs inside a transaction; a transaction whose body throws is rolled back.
/// Each backend is a `Service` that keeps its connections for as long as it runs: add it to the
/// application's services ahead of everything that uses it.
public protocol SQLDatabase: Service {
    var dialect: SQLDialect { get }

    /// Runs `body` in one transaction and commits it; rolls back if `body` throws. Transactions
    /// that lose a deadlock or serialization race are retried from the start.
    func transaction<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result) async throws -> Result

    /// Checks that the database answers a trivial query within `timeout`.
    /// - Throws: ``SQLError/unavailable(_:)`` when it does not.
    func ping(within timeout: Duration) async throws

    /// Closes the connections (for a backend used without running it as a service).
    func shutdown() async throws
}

extension SQLDatabase {
    /// Runs one statement in its own transaction.
    @discardableResult
    public func query(_ sql: SQL) async throws -> [SQLRow] {
        try await transaction { try await $0.query(sql) }
    }
}

/// Runs statements inside an open transaction.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    @discardableResult
    func query(_ sql: SQL) async throws -> [SQLRow]
}

/// The differences between the two SQL engines that statements have to spell out.
public enum SQLDialect: Sendable {
    case postgres
    case sqlite

    /// `FOR UPDATE SKIP LOCKED` on PostgreSQL, where several replicas race for rows; nothing on
    /// SQLite, whose single writer serializes transactions.
    public var skipLocked: String {
        self == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
    }

    /// `FOR UPDATE` on PostgreSQL: lock the rows read for the rest of the transaction.
    public var forUpdate: String {
        self == .postgres ? " FOR UPDATE" : ""
    }
}

/// Database failures; the store and the simulated cloud turn them into their own domain errors.
public enum SQLError: Error, Sendable, CustomStringConvertible {
    /// A unique constraint or index refused the write; `constraint` names it where the engine says.
    case uniqueViolation(constraint: String)
    /// A `CHECK` constraint refused the write.
    case checkViolation(constraint: String)
    /// A foreign key refused the write.
    case foreignKeyViolation(constraint: String)
    case missingColumn(String)
    /// A column holds a value its reader does not know (a phase no version of the code wrote,
    /// JSON that does not decode): the row is refused rather than read as a guess.
    case invalidValue(column: String, value: String)
    case invalidURL(String)
    /// The database could not be reached or did not answer in time (its server stopped, the
    /// network to it gone, every connection busy past the deadline). The transaction did not
    /// commit, or its answer was lost: a retry must be safe to re-run.
    case unavailable(String)

    public var description: String {
        switch self {
        case .uniqueViolation(let name): "unique constraint violated: \(name)"
        case .checkViolation(let name): "check constraint violated: \(name)"
        case .foreignKeyViolation(let name): "foreign key violated: \(name)"
        case .missingColumn(let name): "column '\(name)' missing or of the wrong type"
        case .invalidValue(let column, let value): "column '\(column)' holds an unknown value '\(value.prefix(200))'"
        case .invalidURL(let reason): "invalid database URL: \(reason)"
        case .unavailable(let reason): "database unavailable: \(reason)"
        }
    }

}
