import PostgresNIO
import Synchronization
import Testing

@testable import EIPSQL
@testable import EIPTestSupport

/// A statement caught by its connection closing fails with `unavailable` and never waits for
/// an answer that cannot come: PostgreSQL restarting under load must not leave a transaction,
/// and the request behind it, waiting for ever.
@Suite("Closed PostgreSQL connections")
struct ClosedConnectionTests {
    @Test func aStatementWrittenToAConnectionThatJustClosedFailsInsteadOfWaiting() async throws {
        let connection = try await TestDatabase.serverConnection()
        try await connection.close()
        let executor = PostgresBackend.Executor(
            connection: connection, logger: TestDatabase.logger, progress: Progress(), closes: CloseWatch())
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        // The write past the `isClosed` check, as when the close wins the race between the two:
        // postgres-nio drops it, so only the close can end the wait.
        let attempt = Task {
            do {
                try await executor.untilClosed {
                    _ = try await connection.query("SELECT 1", logger: TestDatabase.logger)
                }
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        let ended = try await LeaseTestKit.poll("the statement to end") {
            let ended = outcome.withLock { $0 }
            return (ended, ended != nil)
        }
        guard case .failure(let error) = ended, case SQLError.unavailable(let reason) = error else {
            Issue.record("expected SQLError.unavailable, got \(String(describing: ended))")
            attempt.cancel()
            return
        }
        #expect(reason.contains("closed"))
    }

    @Test func aTransactionWhoseServerEndedItsConnectionFailsAsUnavailable() async throws {
        try await TestDatabase.with(.postgres) { db in
            let killer = try await TestDatabase.serverConnection()
            await #expect {
                try await db.database.transaction { sql in
                    let pid = try await sql.query("SELECT pg_backend_pid() AS pid")[0].requiredInt64("pid")
                    _ = try await killer.query("SELECT pg_terminate_backend(\(unescaped: String(pid)))", logger: TestDatabase.logger)
                    _ = try await sql.query("SELECT 1 AS one")
                }
            } throws: { error in
                if case SQLError.unavailable = error { return true }
                return false
            }
            try await killer.close()
            // The pool replaces the connection: the next transaction runs.
            let one = try await db.database.transaction { try await $0.query("SELECT 1 AS one") }
            #expect(one.count == 1)
        }
    }
}
