public import Logging
public import PostgresNIO
import Synchronization

/// ``SQLDatabase`` on PostgreSQL through a pooled `PostgresClient`. Run ``client`` as a service
/// (it is a `Service`) for the lifetime of the backend.
///
/// A transaction that has waited ``timeout`` (for a connection, or for the server's answers)
/// while the server answered no other statement of this backend either is given up: the database is
/// away, not busy. Its wait for a connection is cancelled, or the connection it holds is closed
/// (PostgreSQL queries cannot be cancelled, so closing is what ends one stuck on a server that
/// went silent), and it fails with ``SQLError/unavailable(_:)``, as does one whose server is
/// unreachable or closes the connection. While others get answers, a waiting transaction is queued
/// behind them, not stuck, and waits on, up to six times ``timeout`` in all. Such a failure is
/// never retried here, since its commit may have happened.
///
/// Deadlocks and serialization failures are retried whole, with a short random pause, and
/// surface (as unavailable) only if they persist.
///
/// Transactions are `BEGIN`/`COMMIT` on a connection of the pool, not postgres-nio's
/// `withTransaction`: each statement here also watches its connection's close (see
/// ``Executor/untilClosed(_:)``), while `withTransaction` sends its `ROLLBACK` on a connection
/// the server just closed and waits for an answer that never comes, holding the task and the
/// pool's connection for good.
public struct PostgresBackend: SQLDatabase {
    public let client: PostgresClient
    let logger: Logger
    /// How long one transaction may take, from asking for a connection to its commit.
    public let timeout: Duration
    public var dialect: SQLDialect { .postgres }
    private let progress = Progress()
    private let closes = CloseWatch()

    public init(configuration: PostgresClient.Configuration, timeout: Duration = .seconds(10), logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.timeout = timeout
        self.logger = logger
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result) async throws -> Result {
        try await transaction(within: timeout, body)
    }

    public func ping(within timeout: Duration) async throws {
        _ = try await transaction(within: timeout) { try await $0.query("SELECT 1 AS one") }
    }

    private func transaction<Result: Sendable>(within timeout: Duration, _ body: @Sendable (any SQLExecutor) async throws -> Result)
        async throws -> Result
    {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withoutActuallyEscaping(body) { body in
                    try await within(timeout) { lent in try await self.run(body, lending: lent) }
                }
            } catch let error as PSQLError {
                let state = error.serverInfo?[.sqlState]
                // 40001 serialization_failure, 40P01 deadlock_detected: retry the whole transaction.
                if state == "40001" || state == "40P01" {
                    // The store takes its locks in one order, so this should not happen: say so.
                    logger.notice(
                        "transaction retried after losing a lock race", metadata: ["sqlState": "\(state ?? "")", "attempt": "\(attempt)"])
                    guard attempt < 20 else { throw SQLError.unavailable("transactions kept losing lock races (\(state ?? ""))") }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...(10 * attempt))))
                    continue
                }
                throw Self.translate(error)
            }
        }
    }

    /// One attempt: BEGIN, the body, COMMIT on a connection of the pool (ROLLBACK if the body throws).
    private func run<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result, lending lent: LentConnection)
        async throws -> Result
    {
        do {
            return try await lease(body, lending: lent)
        } catch  where !lent.wasLent {
            // The pool could not lend a connection (the server has been unreachable for a while,
            // or the client is shut down).
            throw SQLError.unavailable("no connection to PostgreSQL (\(String(describing: error).prefix(200)))")
        }
    }

    private func lease<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result, lending lent: LentConnection)
        async throws -> Result
    {
        try await client.withConnection { connection in
            try lent.lend(connection)
            defer { lent.giveBack() }
            let executor = Executor(connection: connection, logger: logger, progress: progress, closes: closes)
            try await executor.run("BEGIN")
            do {
                let result = try await body(executor)
                try await executor.run("COMMIT")
                return result
            } catch {
                try? await executor.run("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `attempt`, failing it with ``SQLError/unavailable(_:)`` once it has waited `timeout`
    /// with no statement of this backend answered meanwhile (or six times `timeout` in all): a wait for a
    /// connection is cancelled, a connection in use is closed.
    private func within<Result: Sendable>(_ timeout: Duration, _ attempt: @escaping @Sendable (LentConnection) async throws -> Result)
        async throws -> Result
    {
        let lent = LentConnection()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await attempt(lent) }
            group.addTask { [progress] in
                let clock = ContinuousClock()
                let started = clock.now
                var deadline = started.advanced(by: timeout)
                while true {
                    try await Task.sleep(until: deadline, clock: clock)
                    guard let last = progress.lastAnswer, clock.now - last < timeout, clock.now - started < timeout * 6 else { return nil }
                    deadline = last.advanced(by: timeout)
                }
            }
            if let first = try await group.next(), let result = first {
                group.cancelAll()
                return result
            }
            lent.expire()
            group.cancelAll()
            // The attempt ends quickly now (its queries fail on the closed connection); its own
            // error is not the story.
            while (try? await group.next()) != nil {}
            throw SQLError.unavailable("PostgreSQL did not answer within \(timeout)")
        }
    }

    public func shutdown() async throws {}

    /// Runs the connection pool until graceful shutdown.
    public func run() async throws {
        await client.run()
    }

    static func translate(_ error: PSQLError) -> any Error {
        let constraint = error.serverInfo?[.constraintName] ?? "unknown"
        let state = error.serverInfo?[.sqlState]
        switch state {
        case "23505": return SQLError.uniqueViolation(constraint: constraint)
        case "23514": return SQLError.checkViolation(constraint: constraint)
        case "23503": return SQLError.foreignKeyViolation(constraint: constraint)
        default: break
        }
        // Class 08 (connection exception), 57P01-57P03 (the server shutting down or starting),
        // 53300 (too many connections), or the connection itself gone.
        if let state, state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) {
            return SQLError.unavailable("PostgreSQL \(state): \(error.serverInfo?[.message] ?? "connection refused")")
        }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return SQLError.unavailable("the connection to PostgreSQL was lost (\(error.code))")
        default:
            return error
        }
    }

    struct Executor: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger
        let progress: Progress
        let closes: CloseWatch
        var dialect: SQLDialect { .postgres }

        func run(_ text: String) async throws {
            try ensureOpen()
            try await untilClosed { [connection, logger] in
                _ = try await connection.query(PostgresQuery(unsafeSQL: text), logger: logger)
            }
            progress.answered()
        }

        /// A closed connection gets no statement (it would be lost, and its task with it).
        func ensureOpen() throws {
            if connection.isClosed { throw SQLError.unavailable("the connection to PostgreSQL was closed") }
        }

        /// Runs `statement`, or fails with ``SQLError/unavailable(_:)`` as soon as the
        /// connection is closed, whichever comes first.
        ///
        /// postgres-nio loses a statement written to a connection that has just closed (its
        /// handlers are gone, so the write fails unseen and the answer never comes): checking
        /// `isClosed` first still leaves the moment between the check and the write, and a
        /// transaction caught in it (PostgreSQL restarted, a timeout closing the connection)
        /// would wait for ever, and its request with it. The statement runs in a task of its
        /// own, so that waiting for the close does not wait for the statement; a lost one's task
        /// is left behind, waiting on an answer that never comes.
        func untilClosed<Result: Sendable>(_ statement: @escaping @Sendable () async throws -> Result) async throws -> Result {
            let running = Task { try await statement() }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                    let outcome = FirstOutcome(continuation)
                    let watch = closes.watch(connection) {
                        outcome.settle(.failure(SQLError.unavailable("the connection to PostgreSQL was closed")))
                    }
                    Task {
                        let result = await running.result
                        closes.unwatch(watch)
                        outcome.settle(result)
                    }
                }
            } onCancel: {
                running.cancel()
            }
        }

        func query(_ sql: SQL) async throws -> [SQLRow] {
            let (text, values) = sql.rendered { "$\($0)" }
            var bindings = PostgresBindings(capacity: values.count)
            for value in values {
                switch value {
                case .null: bindings.appendNull()
                case .integer(let int): bindings.append(int)
                case .double(let double): bindings.append(double)
                case .text(let string): bindings.append(string)
                }
            }
            let query = PostgresQuery(unsafeSQL: text, binds: bindings)
            let rows: [SQLRow]
            try ensureOpen()
            do {
                rows = try await untilClosed { [connection, logger] in
                    var rows: [SQLRow] = []
                    for try await row in try await connection.query(query, logger: logger) {
                        var values: [String: SQLValue] = [:]
                        for cell in row {
                            values[cell.columnName] = try Self.value(of: cell)
                        }
                        rows.append(SQLRow(values: values))
                    }
                    return rows
                }
            } catch let error as PSQLError where error.serverInfo != nil {
                // Refused (a constraint, a lock race): the server is there all the same.
                progress.answered()
                throw error
            }
            progress.answered()
            return rows
        }

        static func value(of cell: PostgresCell) throws -> SQLValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int8: return .integer(try cell.decode(Int64.self))
            case .int4: return .integer(Int64(try cell.decode(Int32.self)))
            case .int2: return .integer(Int64(try cell.decode(Int16.self)))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .float8: return .double(try cell.decode(Double.self))
            case .float4: return .double(Double(try cell.decode(Float.self)))
            default: return .text(try cell.decode(String.self))
            }
        }
    }
}

/// When the server last answered a statement of this backend: the sign that it is there.
final class Progress: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    var lastAnswer: ContinuousClock.Instant? { last.withLock { $0 } }

    func answered() {
        last.withLock { $0 = ContinuousClock.now }
    }
}

/// Tells the statements waiting on a connection that it closed, with one close callback per
/// connection however many statements it runs (a callback per statement would pile up on the
/// future of a connection that lives for days).
final class CloseWatch: Sendable {
    /// One statement's place in the watch.
    struct Watch: Sendable {
        let connectionID: PostgresConnection.ID
        let id: UInt64
    }

    private struct State {
        var nextID: UInt64 = 0
        var waiting: [PostgresConnection.ID: [UInt64: @Sendable () -> Void]] = [:]
    }
    private let state = Mutex(State())

    /// Calls `onClose` once `connection` closes, unless ``unwatch(_:)`` comes first; at once
    /// when it has closed already.
    func watch(_ connection: PostgresConnection, onClose: @escaping @Sendable () -> Void) -> Watch {
        let (watch, first) = state.withLock { state in
            state.nextID += 1
            let first = state.waiting[connection.id] == nil
            state.waiting[connection.id, default: [:]][state.nextID] = onClose
            return (Watch(connectionID: connection.id, id: state.nextID), first)
        }
        if first {
            connection.closeFuture.whenComplete { [self] _ in closed(connection.id) }
        }
        // Closed before this watch was listed: its callback may have run already.
        if connection.isClosed { onClose() }
        return watch
    }

    func unwatch(_ watch: Watch) {
        state.withLock { state in
            state.waiting[watch.connectionID]?[watch.id] = nil
        }
    }

    private func closed(_ connectionID: PostgresConnection.ID) {
        let callbacks = state.withLock { state in state.waiting.removeValue(forKey: connectionID).map { Array($0.values) } ?? [] }
        for callback in callbacks { callback() }
    }
}

/// Resumes a continuation with the first outcome it is given, and ignores the others.
private final class FirstOutcome<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func settle(_ outcome: Result<Value, any Error>) {
        let waiting = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(with: outcome)
    }
}

/// The connection a transaction attempt holds, so a timeout can close it.
private final class LentConnection: Sendable {
    private struct State {
        var connection: PostgresConnection?
        var wasLent = false
        var expired = false
    }
    private let state = Mutex(State())

    /// Whether the pool lent the attempt a connection at all.
    var wasLent: Bool { state.withLock { $0.wasLent } }

    /// Notes the connection the attempt got; throws if its time ran out while it waited.
    func lend(_ connection: PostgresConnection) throws {
        let expired = state.withLock { state in
            state.connection = connection
            state.wasLent = true
            return state.expired
        }
        if expired {
            Self.close(connection)
            throw SQLError.unavailable("PostgreSQL did not lend a connection in time")
        }
    }

    func giveBack() {
        state.withLock { $0.connection = nil }
    }

    /// The time is up: close the connection in use, so its pending queries fail now.
    func expire() {
        let connection = state.withLock { state in
            state.expired = true
            return state.connection
        }
        connection.map(Self.close)
    }

    private static func close(_ connection: PostgresConnection) {
        let _: EventLoopFuture<Void> = connection.close()
    }
}
