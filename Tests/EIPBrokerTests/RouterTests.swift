import EIPBroker
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import EIPTestSupport

/// The broker's router in process (HummingbirdTesting's `.router`, no socket): request ids,
/// which routes need a token, and which operations take part in idempotency.
@Suite("Router")
struct RouterTests {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    /// Runs `body` against a broker's router on a fresh SQLite database, with its logs.
    static func withRouter(_ body: @escaping @Sendable (any TestClientProtocol, String, CapturedLogs) async throws -> Void) async throws {
        try await TestDatabase.with(.sqlite) { db in
            let configuration = TestBroker.configuration(databaseURL: db.url)
            let logs = CapturedLogs()
            let app = try await buildApplication(configuration: configuration, logger: logs.logger())
            try await app.test(.router) { client in
                try await body(client, configuration.adminToken!, logs)
            }
        }
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func aPlausibleRequestIDIsKeptAndAnyOtherReplacedOnEveryAnswer() async throws {
        try await Self.withRouter { client, admin, logs in
            var headers = Self.bearer(admin)
            headers[Self.requestID] = "agent-7f3a.retry:2"
            let given = try await client.execute(uri: "/v1/pools", method: .get, headers: headers)
            #expect(given.status == .ok)
            #expect(given.headers[Self.requestID] == "agent-7f3a.retry:2")
            #expect(logs.text.contains("hb.request.id=agent-7f3a.retry:2"), "\(logs.text.suffix(2000))")

            // Refused before any handler ran, the answer still says which request it was.
            let refused = try await client.execute(uri: "/v1/pools", method: .get, headers: [Self.requestID: "no spaces allowed"])
            #expect(refused.status == .unauthorized)
            let made = try #require(refused.headers[Self.requestID])
            #expect(made != "no spaces allowed" && !made.isEmpty)

            let other = try await client.execute(uri: "/healthz", method: .get)
            #expect(other.headers[Self.requestID].map { !$0.isEmpty && $0 != made } == true)
        }
    }

    @Test func onlyTheV1RoutesAskForAToken() async throws {
        try await Self.withRouter { client, admin, _ in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            for path in ["/v1/pools", "/v1/leases", "/v1/clusters", "/v1/events"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .unauthorized, "\(path)")
                #expect(try await client.execute(uri: path, method: .get, headers: Self.bearer(admin)).status == .ok, "\(path)")
            }
        }
    }

    @Test func idempotencyCoversTheDeclaredOperationsAndNeverATokenMint() async throws {
        try await Self.withRouter { client, admin, _ in
            var headers = Self.bearer(admin)
            headers[.contentType] = "application/json"
            headers[Self.idempotencyKey] = "create-prod"
            let body = ByteBuffer(string: #"{"name":"prod","quota":5}"#)
            let created = try await client.execute(uri: "/v1/clusters", method: .post, headers: headers, body: body)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let again = try await client.execute(uri: "/v1/clusters", method: .post, headers: headers, body: body)
            #expect(again.status == .created)
            #expect(again.headers[Self.replayed] == "true")
            #expect(again.body == created.body)

            // A token's answer is a secret: never stored, so never replayed; each call mints anew.
            headers[Self.idempotencyKey] = "mint"
            let first = try await client.execute(uri: "/v1/clusters/prod/tokens", method: .post, headers: headers)
            let second = try await client.execute(uri: "/v1/clusters/prod/tokens", method: .post, headers: headers)
            #expect(first.status == .created && second.status == .created)
            #expect(second.headers[Self.replayed] == nil)
            #expect(first.body != second.body)
        }
    }
}
