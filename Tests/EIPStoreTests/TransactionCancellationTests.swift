import EIPSQL
import Testing

@testable import EIPTestSupport

/// A transaction whose task is cancelled (a request whose client left, a fenced reconciler
/// step) ends, rolled back, and leaves the database usable: on SQLite's one connection, a
/// transaction left open would make every later one fail.
@Suite("Transaction cancellation")
struct TransactionCancellationTests {
    @Test(arguments: Backend.allCases)
    func aCancelledTransactionIsRolledBackAndTheNextOneRuns(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let inside = AsyncStream<Void>.makeStream()
            let cancelled = Task {
                try await db.database.transaction { sql in
                    try await sql.query("INSERT INTO loop_leaders (loop, owner, until) VALUES ('cancelled', 'test', 0)")
                    inside.continuation.yield()
                    try? await Task.sleep(for: .seconds(600)) // until cancelled
                    try Task.checkCancellation()
                }
            }
            var events = inside.stream.makeAsyncIterator()
            _ = await events.next()
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }

            _ = try await db.database.transaction { sql in
                try await sql.query("INSERT INTO loop_leaders (loop, owner, until) VALUES ('next', 'test', 0)")
            }
            let loops = try await db.database.query("SELECT loop FROM loop_leaders ORDER BY loop").map { $0.string("loop") }
            #expect(loops == ["next"])
        }
    }
}
