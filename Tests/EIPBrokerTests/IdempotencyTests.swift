import EIPCore
import EIPSQL
import EIPStore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import EIPBroker
@testable import EIPTestSupport

/// Retries are safe: allocation is idempotent on the pod's natural key, and an `Idempotency-Key`
/// replays the first answer byte for byte, or refuses a different request under the same key.
@Suite("Idempotency")
struct IdempotencyTests {
    @Test func theOperationsThatHonourAKeyAreThoseTheDocumentDeclaresItFor() throws {
        let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("api/openapi.yaml")
        // Paths sit at two spaces under `paths:`, methods at four; a method's parameters list the key by reference.
        var declared: Set<String> = []
        var path: String?
        var method: String?
        for line in try String(contentsOf: document, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("components:") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
                method = nil
            } else if let verb = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                method = verb.uppercased()
            } else if line.contains("#/components/parameters/IdempotencyKey"), let path, let method {
                declared.insert("\(method) \(path)")
            }
        }
        #expect(declared.count >= 8)
        #expect(declared == idempotentOperations)
    }

    @Test(arguments: Backend.allCases)
    func allocatingTwiceForOnePodGivesOneLease(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod", quota: 10)
            try await kit.pool(["name": "web", "maxSize": 10])
            try await kit.pool(["name": "other", "maxSize": 10])
            let body: [String: Any] = ["namespace": "shop", "pod": "cart-0", "podUid": "uid-cart-0", "pool": "web"]

            let first = try await kit.allocate(token: token, body)
            #expect(first.status == 201, "\(first.text)")
            let id = try #require(first["id"])
            let settled = try await kit.settle(first, into: "Allocated", token: token)

            let second = try await kit.allocate(token: token, body)
            #expect(second.status == 200, "\(second.text)")
            #expect(second["id"] == id)
            #expect(second["ipAddress"] == settled["ipAddress"])
            #expect(second.headers.first(name: "Idempotent-Replayed") == nil)

            // Even once associated, the pod's allocate answers with its lease, unchanged.
            #expect(try await kit.associate(id, token: token, privateIP: "10.3.0.1")["phase"] == "InUse")
            let third = try await kit.allocate(token: token, body)
            #expect(third.status == 200, "\(third.text)")
            #expect(third["id"] == id)
            #expect(third["phase"] == "InUse")

            // The same pod asking another pool is a conflict, not a second lease.
            var elsewhere = body
            elsewhere["pool"] = "other"
            let conflicting = try await kit.allocate(token: token, elsewhere)
            #expect(conflicting.status == 409, "\(conflicting.text)")
            #expect(conflicting["code"] == "Conflict")

            #expect(try await kit.listPages(token: token, query: "namespace=shop", pageSize: 10) == [[id]])
            #expect(try await kit.cluster("prod", token: token).int("activeLeases") == 1)
            #expect(try await kit.getPool("web").int("size") == 1)
            #expect(try await kit.getPool("other").int("size") == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func idempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherBody(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod", quota: 10)
            let otherCluster = try await kit.cluster("staging", quota: 10)
            try await kit.pool(["name": "web", "maxSize": 10])
            let key = [("Idempotency-Key", "5f0c9e7a-3b1d-4c2e-9a8f-7d6e5c4b3a21")]
            let body = TestBroker.json(["namespace": "shop", "pod": "cart-0", "podUid": "uid-cart-0", "pool": "web"])

            let first = try await broker.call(.POST, "/v1/leases", token: token, json: body, headers: key)
            #expect(first.status == 201, "\(first.text)")
            #expect(first.headers.first(name: "Idempotent-Replayed") == nil)
            let id = try #require(first["id"])
            let firstPhase = try #require(first["phase"])

            // The lease moves on.
            let inUse = try await kit.associate(id, token: token, privateIP: "10.3.0.2")
            #expect(inUse["phase"] == "InUse")
            #expect(firstPhase != "InUse")

            // The retry replays the first answer exactly, not the lease as it is now.
            let replay = try await broker.call(.POST, "/v1/leases", token: token, json: body, headers: key)
            #expect(replay.status == 201, "\(replay.text)")
            #expect(replay.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(replay.body == first.body)
            #expect(replay["phase"] == firstPhase)
            #expect(try await kit.lease(id, token: token)["phase"] == "InUse")

            // Another body under the same key is refused, and creates nothing.
            let otherBody = TestBroker.json(["namespace": "shop", "pod": "cart-1", "podUid": "uid-cart-1", "pool": "web"])
            let mismatch = try await broker.call(.POST, "/v1/leases", token: token, json: otherBody, headers: key)
            #expect(mismatch.status == 409, "\(mismatch.text)")
            #expect(mismatch["code"] == "Conflict")
            #expect(mismatch.headers.first(name: "Idempotent-Replayed") == nil)
            #expect(try await kit.listPages(token: token, query: "namespace=shop", pageSize: 10) == [[id]])
            #expect(try await kit.cluster("prod", token: token).int("activeLeases") == 1)

            // Keys belong to their caller: another cluster's agent with the same key and body
            // gets its own lease.
            let stranger = try await broker.call(.POST, "/v1/leases", token: otherCluster, json: body, headers: key)
            #expect(stranger.status == 201, "\(stranger.text)")
            #expect(stranger.headers.first(name: "Idempotent-Replayed") == nil)
            #expect(stranger["id"] != id)
            #expect(stranger["cluster"] == "staging")
        }
    }

    /// A replica that began answering a key and died leaves the key unanswered: the agent's
    /// retry takes it over once the dead request's hold has passed, instead of `409` for a day.
    @Test(arguments: Backend.allCases)
    func aKeyWhoseFirstRequestDiedIsTakenOverByTheRetry(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let broker = try await TestBroker.start(databaseURL: db.url)
            do {
                let kit = LeaseTestKit(broker)
                _ = try await kit.cluster("prod", quota: 10)
                try await kit.pool(["name": "web", "maxSize": 10])
                let json = TestBroker.json(["cluster": "prod", "namespace": "shop", "pod": "cart-0", "podUid": "uid-cart-0", "pool": "web"])
                typealias Middleware = IdempotencyMiddleware
                let scope = Middleware.scope(identity: "admin", operation: "POST /v1/leases", parameters: "")
                let hash = Middleware.requestHash(query: "", body: ByteBuffer(string: json))
                let store = BrokerStore(database: db.database)
                // One key held by a request that died a minute ago, one by a request still running.
                let then = Timestamp.now.adding(.seconds(-60))
                #expect(
                    try await store.beginIdempotentRequest(
                        scope: scope, key: "died", requestHash: hash, holder: "dead", heldUntil: then.adding(Middleware.hold), now: then)
                        == .started
                )
                #expect(
                    try await store.beginIdempotentRequest(
                        scope: scope, key: "alive", requestHash: hash, holder: "alive", heldUntil: .now.adding(.seconds(60)))
                        == .started
                )

                let waiting = try await broker.call(
                    .POST, "/v1/leases", token: broker.adminToken, json: json, headers: [("Idempotency-Key", "alive")])
                #expect(waiting.status == 409, "\(waiting.text)")
                #expect(waiting.headers.first(name: "Retry-After") == "1")

                let retried = try await broker.call(
                    .POST, "/v1/leases", token: broker.adminToken, json: json, headers: [("Idempotency-Key", "died")])
                #expect(retried.status == 201, "\(retried.text)")
                #expect(retried.headers.first(name: "Idempotent-Replayed") == nil)
                let replayed = try await broker.call(
                    .POST, "/v1/leases", token: broker.adminToken, json: json, headers: [("Idempotency-Key", "died")])
                #expect(replayed.status == 201, "\(replayed.text)")
                #expect(replayed.headers.first(name: "Idempotent-Replayed") == "true")
                #expect(replayed["id"] == retried["id"])
                await broker.stop()
            } catch {
                await broker.stop()
                throw error
            }
        }
    }
}
