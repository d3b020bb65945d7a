import EIPBroker
import EIPSQL
import EIPStore
import Foundation
import NIOHTTP1
import SQLiteNIO
import Synchronization
import Testing

@testable import EIPTestSupport

/// The database going away and coming back under load: while PostgreSQL is stopped every call
/// answers within a bounded time, with `503 Unavailable` (problem+json, `Retry-After`) rather
/// than a 500 or no answer, and `/readyz` says 503; once it is back, everything resumes on its
/// own: requests, the reconciler (no lease left mid-step), without a restart of the broker.
@Suite("Database outage")
struct DatabaseOutageTests {
    /// What the load saw: answers by status, the slowest call made wholly while PostgreSQL was
    /// down, and 503s without `Retry-After`.
    final class LoadRecord: Sendable {
        struct State {
            var statuses: [Int: Int] = [:]
            var databaseDown = false
            /// Bumped at each stop and start, so a call can tell it stayed within one outage.
            var epoch = 0
            var slowestDuringOutage: Duration = .zero
            var unavailableWithoutRetryAfter = 0
            var otherProblems: [String] = []
        }
        let state = Mutex(State())

        /// Where the outage stands when a call starts: pass it to ``record(_:took:since:)``.
        var now: (epoch: Int, down: Bool) { state.withLock { ($0.epoch, $0.databaseDown) } }

        func databaseIs(down: Bool) {
            state.withLock { state in
                state.databaseDown = down
                state.epoch += 1
            }
        }

        func record(_ response: TestResponse, took: Duration, since start: (epoch: Int, down: Bool)) {
            state.withLock { state in
                state.statuses[response.status, default: 0] += 1
                if start.down, start.epoch == state.epoch { state.slowestDuringOutage = max(state.slowestDuringOutage, took) }
                if response.status == 503, response.headers.first(name: "Retry-After") == nil { state.unavailableWithoutRetryAfter += 1 }
                if response.status >= 500, response.status != 503 || response["code"] != "Unavailable" {
                    state.otherProblems.append("\(response.status) \(response.text.prefix(300))")
                }
            }
        }

        func count(_ status: Int) -> Int { state.withLock { $0.statuses[status, default: 0] } }
    }

    @Test func postgreSQLStoppedAndStartedUnderLoadAnswers503AndRecoversByItself() async throws {
        let postgres = try await PrivatePostgres.start()
        do {
            try await Self.outage(postgres)
        } catch {
            await postgres.destroy()
            throw error
        }
        await postgres.destroy()
    }

    static func outage(_ postgres: PrivatePostgres) async throws {
        let broker = try await TestBroker.start(databaseURL: postgres.url) { $0.databaseTimeout = .seconds(5) }
        do {
            try await underLoad(broker, postgres)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    static func underLoad(_ broker: TestBroker, _ postgres: PrivatePostgres) async throws {
        let kit = LeaseTestKit(broker)
        let token = try await kit.cluster("alpha", quota: 10_000)
        try await kit.pool(["name": "web", "maxSize": 10_000])
        let first = try await kit.settle(
            try await kit.allocate(token: token, ["namespace": "ns", "pod": "first", "podUid": "uid-first", "pool": "web"]),
            into: "Allocated", token: token)
        #expect(first["phase"] == "Allocated")

        // Four agents allocating and releasing, each call with its own idempotency key.
        let record = LoadRecord()
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for agent in 0..<4 {
                    group.addTask {
                        var round = 0
                        while !Task.isCancelled {
                            round += 1
                            let clock = ContinuousClock()
                            let started = clock.now
                            let outage = record.now
                            guard
                                let allocated = try? await kit.allocate(
                                    token: token,
                                    ["namespace": "ns", "pod": "p\(agent)-\(round)", "podUid": "u\(agent)-\(round)", "pool": "web"],
                                    wait: 2,
                                    headers: [("Idempotency-Key", UUID().uuidString)]
                                )
                            else { continue }
                            record.record(allocated, took: clock.now - started, since: outage)
                            if let id = allocated["id"], (200...201).contains(allocated.status) {
                                let releasing = clock.now
                                let outage = record.now
                                if let released = try? await broker.call(
                                    .POST, "/v1/leases/\(id)/release", token: token, headers: [("Idempotency-Key", UUID().uuidString)])
                                {
                                    record.record(released, took: clock.now - releasing, since: outage)
                                }
                            }
                            try? await Task.sleep(for: .milliseconds(20))
                        }
                    }
                }
            }
        }

        // Generous: on a loaded machine the broker's 5 s statement bound refuses allocations
        // until the load eases; the outage is what this test looks at, not the speed before it.
        _ = try await LeaseTestKit.poll("the load to get going", timeout: .seconds(300)) { ((), record.count(201) >= 8) }
        record.databaseIs(down: true)
        try await postgres.stopServer()

        let notReady = try await LeaseTestKit.poll("/readyz to say 503", timeout: .seconds(120)) {
            let response = try await broker.call(.GET, "/readyz")
            return (response, response.status == 503)
        }
        #expect(notReady.status == 503)
        #expect(notReady["code"] == "Unavailable", "\(notReady.text)")
        let refused = try await LeaseTestKit.poll("an allocate answered 503", timeout: .seconds(120)) {
            let response = try await kit.allocate(
                token: token, ["namespace": "ns", "pod": "during", "podUid": "uid-during", "pool": "web"], wait: nil)
            return (response, response.status == 503)
        }
        #expect(refused["code"] == "Unavailable", "\(refused.text)")
        #expect(refused.headers.first(name: "Retry-After") != nil)
        #expect(refused.headers.first(name: "Content-Type") == "application/problem+json")
        _ = try await LeaseTestKit.poll("the load to meet the outage", timeout: .seconds(120)) { ((), record.count(503) >= 8) }
        let answeredDuringOutage = record.state.withLock { $0.statuses.values.reduce(0, +) }

        record.databaseIs(down: false)
        try await postgres.startServer()

        _ = try await LeaseTestKit.poll("/readyz to say ready again", timeout: .seconds(120)) {
            let response = try await broker.call(.GET, "/readyz")
            return (response.status, response.status == 200)
        }
        // The reconciler resumed: a new lease is allocated in the cloud.
        let after = try await LeaseTestKit.poll("an allocation after the outage", timeout: .seconds(120)) {
            let response = try await kit.allocate(
                token: token, ["namespace": "ns", "pod": "after", "podUid": "uid-after", "pool": "web"], wait: 5)
            return ("\(response.status) \(response.text)", (200...201).contains(response.status) && response["phase"] == "Allocated")
        }
        #expect(
            after.hasPrefix("20"), "broker's last log lines:\n\(broker.logs.text.split(separator: "\n").suffix(60).joined(separator: "\n"))"
        )
        let succeededBefore = record.count(201)
        _ = try await LeaseTestKit.poll("the load to succeed again", timeout: .seconds(120)) {
            ((), record.count(201) >= succeededBefore + 8)
        }
        load.cancel()
        await load.value

        // Nothing is left mid-step: claims a failed step could not hand back expire and are
        // taken again, so every lease settles.
        let stuck = try await LeaseTestKit.poll("every lease to settle", timeout: .seconds(120)) {
            let response = try await broker.call(.GET, "/v1/leases?pageSize=1000", token: broker.adminToken)
            let moving = response.items.filter {
                ["Pending", "Associating", "Disassociating", "Releasing"].contains($0["phase"] as? String ?? "")
            }
            return (
                moving.map { "\($0["id"] ?? "") \($0["phase"] ?? "") \($0["lastError"] ?? "")" }, response.status == 200 && moving.isEmpty
            )
        }
        #expect(stuck.isEmpty)

        let seen = record.state.withLock { $0 }
        #expect(seen.otherProblems.isEmpty, "\(seen.otherProblems.prefix(5))")
        #expect(seen.unavailableWithoutRetryAfter == 0)
        // Bounded while the database is away: each of a request's few transactions gives up
        // after 5 s without an answer.
        #expect(seen.slowestDuringOutage < .seconds(60), "slowest call during the outage took \(seen.slowestDuringOutage)")
        #expect(answeredDuringOutage > 0)
        #expect(broker.logs.text.contains("lease reconciler paused"))
        #expect(broker.logs.text.contains("lease reconciler resumed"))
    }

    /// Another process writing the SQLite file (a backup tool, an operator's `sqlite3`) makes a
    /// transaction wait and try again, never fail, and nothing is lost.
    @Test func aSQLiteFileLockedByAnotherProcessIsWaitedForNotSurfaced() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eipbroker-busy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("books.sqlite").path
        let logs = CapturedLogs()
        let backend = try await SQLiteBackend(path: path, logger: logs.logger())
        try await backend.query("CREATE TABLE notes (value INTEGER NOT NULL)")
        let other = try await SQLiteConnection.open(storage: .file(path: path), logger: TestDatabase.logger)
        _ = try await other.query("BEGIN EXCLUSIVE", [])

        let write = Task { _ = try await backend.query("INSERT INTO notes (value) VALUES (1)") }
        _ = try await LeaseTestKit.poll("the transaction to meet the lock and try again") {
            ((), logs.text.contains("locked by another process; trying the transaction again"))
        }
        _ = try await other.query("COMMIT", [])
        try await write.value
        #expect(try await backend.query("SELECT value FROM notes").count == 1)
        try await other.close()
        try await backend.shutdown()
    }
}
