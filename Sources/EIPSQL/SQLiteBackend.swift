public import Logging
import SQLiteNIO
import ServiceLifecycle

/// ``SQLDatabase`` on one SQLite file (or memory), for the embedded single-replica mode.
///
/// SQLite has one writer at a time, so the backend keeps one connection and runs transactions
/// one after another (`BEGIN IMMEDIATE`), which makes every transaction serializable. Another
/// process holding the file's lock ("database is busy") makes a transaction wait and try again,
/// for about 30 s, before it fails as ``SQLError/unavailable(_:)``.
///
/// The connection runs on a thread of its own. Waiting for another connection's write lock
/// (`busy_timeout`) blocks that thread; on the shared blocking pool (two threads on two cores),
/// a few such waits would take every thread, and the connections holding the locks could not run
/// their next statement until the waits timed out ("database is locked").
public final class SQLiteBackend: SQLDatabase {
    let connection: SQLiteConnection
    let thread: NIOThreadPool
    let gate = TransactionGate()
    let logger: Logger
    public var dialect: SQLDialect { .sqlite }

    /// Opens (creating if needed) the database at `path`, or an in-memory one for `nil`.
    public init(path: String?, logger: Logger) async throws {
        self.logger = logger
        thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            connection = try await SQLiteConnection.open(
                storage: path.map { .file(path: $0) } ?? .memory, threadPool: thread, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
        _ = try await connection.query("PRAGMA journal_mode = WAL", [])
        _ = try await connection.query("PRAGMA foreign_keys = ON", [])
        _ = try await connection.query("PRAGMA busy_timeout = 1000", [])
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result) async throws -> Result {
        try await gate.withTurn {
            var tries = 0
            while true {
                tries += 1
                do {
                    return try await attempt(body)
                } catch let error as SQLiteError where Self.lockReasons.contains(error.reason) {
                    // Another process holds the file (each try already waited `busy_timeout`):
                    // try the whole transaction again, for about half a minute in all.
                    guard tries < Self.busyAttempts else {
                        throw SQLError.unavailable("the SQLite file stayed locked by another process (\(error.message))")
                    }
                    logger.debug(
                        "the SQLite file is locked by another process; trying the transaction again", metadata: ["attempt": "\(tries)"])
                }
            }
        }
    }

    /// How many times a transaction meets a file locked by another process before it fails.
    static let busyAttempts = 30

    /// The answers that mean another connection holds the file, extended codes included (a WAL
    /// file being recovered, a snapshot another writer moved past): try again, they pass.
    static let lockReasons: [SQLiteError.Reason] = [.busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .lockedBySharedCache]

    /// One attempt: BEGIN IMMEDIATE, the body, COMMIT (ROLLBACK if the body throws).
    ///
    /// COMMIT and ROLLBACK run whether or not the task has been cancelled (a request whose client
    /// left, a fenced reconciler step): the thread pool drops the work of a cancelled task
    /// unrun, and a transaction left open on the one connection would make every later BEGIN
    /// fail ("cannot start a transaction within a transaction").
    private func attempt<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result) async throws -> Result {
        let executor = Executor(connection: connection)
        _ = try await connection.query("BEGIN IMMEDIATE", [])
        let result: Result
        do {
            result = try await body(executor)
        } catch {
            try? await ending("ROLLBACK")
            throw error
        }
        do {
            try await ending("COMMIT")
        } catch {
            try? await ending("ROLLBACK")
            throw error
        }
        return result
    }

    /// Runs the statement that ends the open transaction in a task of its own, which the
    /// caller's cancellation does not reach.
    private func ending(_ statement: String) async throws {
        let connection = self.connection
        try await Task { _ = try await connection.query(statement, []) }.value
    }

    /// The file is local: it answers unless a transaction holds it, which bounds the wait.
    public func ping(within timeout: Duration) async throws {
        try await query("SELECT 1 AS one")
    }

    public func shutdown() async throws {
        try await connection.close()
        try await thread.shutdownGracefully()
    }

    /// Keeps the file open until graceful shutdown, then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    deinit {
        // Dropped without shutdown() (a start-up that failed): stop the thread all the same.
        thread.shutdownGracefully { _ in }
    }

    struct Executor: SQLExecutor {
        let connection: SQLiteConnection
        var dialect: SQLDialect { .sqlite }

        func query(_ sql: SQL) async throws -> [SQLRow] {
            let (text, values) = sql.rendered { "?\($0)" }
            let binds: [SQLiteData] = values.map {
                switch $0 {
                case .null: .null
                case .integer(let int): .integer(SQLiteInt64(int))
                case .double(let double): .float(double)
                case .text(let string): .text(string)
                }
            }
            do {
                return try await connection.query(text, binds).map { row in
                    var values: [String: SQLValue] = [:]
                    for column in row.columns {
                        switch column.data {
                        case .integer(let int): values[column.name] = .integer(Int64(int))
                        case .float(let double): values[column.name] = .double(double)
                        case .text(let string): values[column.name] = .text(string)
                        case .blob(let buffer): values[column.name] = .text(String(buffer: buffer))
                        case .null: values[column.name] = .null
                        }
                    }
                    return SQLRow(values: values)
                }
            } catch let error as SQLiteError {
                switch error.reason {
                case .constraintUniqueFailed, .constraintPrimaryKeyFailed:
                    throw SQLError.uniqueViolation(constraint: error.message)
                case .constraint where error.message.contains("UNIQUE"):
                    throw SQLError.uniqueViolation(constraint: error.message)
                case .constraint where error.message.contains("CHECK"):
                    throw SQLError.checkViolation(constraint: error.message)
                case .constraintCheckFailed:
                    throw SQLError.checkViolation(constraint: error.message)
                case .constraintForeignKeyFailed:
                    throw SQLError.foreignKeyViolation(constraint: error.message)
                default:
                    throw error
                }
            }
        }
    }
}

/// Lets one task at a time through, in arrival order.
actor TransactionGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withTurn<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
