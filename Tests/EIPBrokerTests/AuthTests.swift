import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// Who may call what: bearer tokens, the reach of a cluster token, the open operations
/// endpoints, and tokens kept out of logs, events and every answer but the one that mints them.
@Suite struct AuthTests {
    // MARK: Authentication

    @Test(arguments: Backend.allCases)
    func missingOrUnknownTokensAreUnauthenticated(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let attempts: [(name: String, headers: [(String, String)])] = [
                ("no Authorization header", []),
                ("garbage token", [("Authorization", "Bearer eipb_not-a-real-token")]),
                ("admin token with one character changed", [("Authorization", "Bearer \(broker.adminToken.dropLast())x")]),
                ("empty bearer", [("Authorization", "Bearer ")]),
                ("basic scheme", [("Authorization", "Basic YWRtaW46YWRtaW4=")]),
                ("token without scheme", [("Authorization", broker.adminToken)]),
            ]
            for attempt in attempts {
                for (method, path, body) in [
                    (HTTPMethod.GET, "/v1/pools", nil), (.GET, "/v1/leases", nil), (.GET, "/v1/events", nil),
                    (.POST, "/v1/clusters", #"{"name":"intruder","quota":1}"#),
                ] as [(HTTPMethod, String, String?)] {
                    let response = try await broker.call(method, path, json: body, headers: attempt.headers)
                    let comment = Comment(rawValue: "\(attempt.name) \(method) \(path): \(response.text)")
                    #expect(response.status == 401, comment)
                    #expect(response.headers["content-type"].first == "application/problem+json", comment)
                    #expect(response["code"] == "Unauthenticated", comment)
                }
            }
            // The refused POSTs created nothing.
            let clusters = try await broker.call(.GET, "/v1/clusters", token: broker.adminToken)
            #expect(clusters.status == 200)
            #expect(!clusters.text.contains("intruder"))
        }
    }

    @Test(arguments: Backend.allCases)
    func operationsEndpointsNeedNoToken(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            for path in ["/healthz", "/readyz", "/metrics"] {
                let response = try await broker.call(.GET, path)
                #expect(response.status == 200, "\(path): \(response.text)")
            }
            #expect(try await broker.call(.GET, "/healthz").text.hasPrefix("ok"))
        }
    }

    // MARK: What a cluster token may do

    @Test(arguments: Backend.allCases)
    func clusterTokenSeesAndTouchesOnlyItsOwnLeases(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let world = try await World.make(broker)
            let theirs = try await broker.call(
                .POST, "/v1/leases?wait=30", token: world.betaToken,
                json: #"{"namespace":"default","pod":"web-0","podUid":"uid-b-0","pool":"shared"}"#
            )
            try #require(theirs.status == 201, "\(theirs.text)")
            let theirID = try #require(theirs["id"])
            let ours = try await broker.call(
                .POST, "/v1/leases", token: world.alphaToken,
                json: #"{"namespace":"default","pod":"web-0","podUid":"uid-a-0","pool":"shared"}"#
            )
            try #require(ours.status == 201, "\(ours.text)")
            let ourID = try #require(ours["id"])
            #expect(ours["cluster"] == "alpha")
            let theirsBefore = try await broker.call(.GET, "/v1/leases/\(theirID)", token: broker.adminToken)

            // Another cluster's lease is not disclosed, nor changed.
            for (method, path, body) in [
                (HTTPMethod.GET, "/v1/leases/\(theirID)", nil),
                (.POST, "/v1/leases/\(theirID)/associate", #"{"privateIpAddress":"192.168.0.10"}"#),
                (.POST, "/v1/leases/\(theirID)/disassociate", nil),
                (.POST, "/v1/leases/\(theirID)/release", #"{"force":true}"#),
            ] as [(HTTPMethod, String, String?)] {
                let response = try await broker.call(method, path, token: world.alphaToken, json: body)
                let comment = Comment(rawValue: "\(method) \(path): \(response.text)")
                #expect(response.status == 404, comment)
                #expect(response["code"] == "NotFound", comment)
                #expect(!response.text.contains("uid-b-0"), comment)
            }
            let theirsAfter = try await broker.call(.GET, "/v1/leases/\(theirID)", token: broker.adminToken)
            #expect(theirsAfter.status == 200)
            #expect(theirsAfter["phase"] == theirsBefore["phase"])
            #expect(theirsAfter["updatedAt"] == theirsBefore["updatedAt"])

            // Its own lease it may read.
            #expect(try await broker.call(.GET, "/v1/leases/\(ourID)", token: world.alphaToken).status == 200)

            // Lists show only its own cluster; naming another cluster is refused.
            let list = try await broker.call(.GET, "/v1/leases", token: world.alphaToken)
            #expect(list.status == 200)
            #expect(list.items.map { $0["id"] as? String } == [ourID])
            let foreign = try await broker.call(.GET, "/v1/leases?cluster=beta", token: world.alphaToken)
            #expect(foreign.status == 403, "\(foreign.text)")
            #expect(foreign["code"] == "PermissionDenied")
            let all = try await broker.call(.GET, "/v1/leases", token: broker.adminToken)
            #expect(Set(all.items.compactMap { $0["id"] as? String }) == [ourID, theirID])

            // Acting for another cluster is refused.
            let allocateForBeta = try await broker.call(
                .POST, "/v1/leases", token: world.alphaToken,
                json: #"{"cluster":"beta","namespace":"default","pod":"web-1","podUid":"uid-x","pool":"shared"}"#
            )
            #expect(allocateForBeta.status == 403, "\(allocateForBeta.text)")
            #expect(allocateForBeta["code"] == "PermissionDenied")
            let heartbeatForBeta = try await broker.call(
                .POST, "/v1/heartbeats", token: world.alphaToken, json: #"{"cluster":"beta","pods":[]}"#)
            #expect(heartbeatForBeta.status == 403, "\(heartbeatForBeta.text)")
            #expect(heartbeatForBeta["code"] == "PermissionDenied")
            #expect(try await broker.call(.GET, "/v1/leases/\(theirID)", token: broker.adminToken)["phase"] == theirsBefore["phase"])

            // Another cluster, and pools not open to it, are not disclosed.
            #expect(try await broker.call(.GET, "/v1/clusters/beta", token: world.alphaToken).status == 404)
            #expect(try await broker.call(.GET, "/v1/clusters/alpha", token: world.alphaToken).status == 200)
            #expect(try await broker.call(.GET, "/v1/pools/beta-only", token: world.alphaToken).status == 404)
            let pools = try await broker.call(.GET, "/v1/pools", token: world.alphaToken)
            #expect(pools.items.compactMap { $0["name"] as? String } == ["shared"])
            let closedPool = try await broker.call(
                .POST, "/v1/leases", token: world.alphaToken,
                json: #"{"namespace":"default","pod":"web-2","podUid":"uid-a-2","pool":"beta-only"}"#
            )
            #expect([403, 404].contains(closedPool.status), "\(closedPool.text)")

            // Its events are its own cluster's.
            let events = try await broker.call(.GET, "/v1/events?pageSize=1000", token: world.alphaToken)
            #expect(events.status == 200)
            #expect(!events.items.isEmpty)
            #expect(events.items.allSatisfy { $0["cluster"] as? String == "alpha" }, "\(events.text)")
        }
    }

    @Test(arguments: Backend.allCases)
    func clusterTokenCannotAdminister(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let world = try await World.make(broker)
            let before = try await StoreSnapshot.take(broker)
            let calls: [(HTTPMethod, String, String?)] = [
                (.POST, "/v1/pools", #"{"name":"mine","maxSize":5}"#),
                (.PATCH, "/v1/pools/shared", #"{"maxSize":50}"#),
                (.DELETE, "/v1/pools/shared", nil),
                (.DELETE, "/v1/pools/x", nil),
                (.GET, "/v1/bandwidth-packages", nil),
                (.POST, "/v1/bandwidth-packages", #"{"id":"cbwp-mine","maxIps":5}"#),
                (.DELETE, "/v1/bandwidth-packages/cbwp-auth1", nil),
                (.GET, "/v1/clusters", nil),
                (.POST, "/v1/clusters", #"{"name":"gamma","quota":5}"#),
                (.PATCH, "/v1/clusters/alpha", #"{"quota":1000}"#),
                (.PATCH, "/v1/clusters/beta", #"{"quota":0}"#),
                (.DELETE, "/v1/clusters/beta", nil),
                (.POST, "/v1/clusters/alpha/tokens", nil),
                (.POST, "/v1/clusters/beta/tokens", nil),
            ]
            for (method, path, body) in calls {
                let response = try await broker.call(method, path, token: world.alphaToken, json: body)
                let comment = Comment(rawValue: "\(method) \(path): \(response.text)")
                #expect(response.status == 403, comment)
                #expect(response.headers["content-type"].first == "application/problem+json", comment)
                #expect(response["code"] == "PermissionDenied", comment)
                #expect(!response.text.contains("eipb_"), comment)
            }
            let after = try await StoreSnapshot.take(broker)
            #expect(after == before)
        }
    }

    // MARK: Tokens stay secret

    @Test(arguments: Backend.allCases, [Logger.Level.debug, .trace])
    func tokensNeverReachLogsEventsOrOtherAnswers(_ backend: Backend, level: Logger.Level) async throws {
        try await TestBroker.with(backend, logLevel: level) { broker in
            let world = try await World.make(broker)
            let badToken = "eipb_" + String(repeating: "Q", count: 43)
            let secrets = [broker.adminToken, world.alphaToken, world.betaToken, badToken]

            var answers: [TestResponse] = []
            for token in [broker.adminToken, world.alphaToken, world.betaToken, badToken] {
                answers.append(try await broker.call(.GET, "/v1/pools", token: token))
                answers.append(try await broker.call(.GET, "/v1/leases?cluster=beta", token: token))
                answers.append(
                    try await broker.call(.POST, "/v1/leases", token: token, json: #"{"namespace":"Bad","pod":"p","podUid":"u"}"#))
                answers.append(try await broker.call(.POST, "/v1/pools", token: token, json: #"{"name":"p2","maxSize":1}"#))
                answers.append(try await broker.call(.GET, "/v1/leases/no-such-lease", token: token))
                answers.append(try await broker.call(.GET, "/v1/clusters/alpha", token: token))
                answers.append(try await broker.call(.GET, "/v1/no-such-route", token: token))
                answers.append(
                    try await broker.call(
                        .POST, "/v1/heartbeats", token: token, json: #"{"pods":[]}"#, headers: [("Idempotency-Key", "hb-\(answers.count)")])
                )
            }
            let allocated = try await broker.call(
                .POST, "/v1/leases?wait=30", token: world.alphaToken,
                json: #"{"namespace":"default","pod":"web-0","podUid":"uid-a-0","pool":"shared"}"#
            )
            #expect(allocated.status == 201, "\(allocated.text)")
            answers.append(allocated)
            let id = try #require(allocated["id"])
            answers.append(
                try await broker.call(
                    .POST, "/v1/leases/\(id)/associate?wait=30", token: world.alphaToken, json: #"{"privateIpAddress":"192.168.0.10"}"#))
            answers.append(
                try await broker.call(.POST, "/v1/leases/\(id)/release?wait=30", token: world.alphaToken, json: #"{"force":true}"#))
            #expect(answers.contains { $0.status == 401 })
            #expect(answers.contains { $0.status == 403 })

            // Every other answer the broker gives about tokens and clusters.
            answers.append(try await broker.call(.GET, "/v1/clusters", token: broker.adminToken))
            answers.append(try await broker.call(.GET, "/v1/clusters/alpha", token: broker.adminToken))
            answers.append(try await broker.call(.GET, "/v1/leases", token: broker.adminToken))
            answers.append(try await broker.call(.GET, "/metrics"))
            let events = try await broker.call(.GET, "/v1/events?pageSize=1000", token: broker.adminToken)
            #expect(events.items.contains { $0["action"] as? String == "token.create" }, "\(events.text)")
            answers.append(events)

            let logs = broker.logs.text
            #expect(logs.contains("/v1/leases"), "the captured logs hold the broker's request lines")
            for secret in secrets {
                #expect(!logs.contains(secret), "a token reached the logs at level \(level)")
                #expect(!logs.contains(String(secret.suffix(20))), "part of a token reached the logs at level \(level)")
                for answer in answers {
                    #expect(!answer.text.contains(secret), "a token appeared in an answer: \(answer.text.prefix(300))")
                }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func mintedTokenIsShownOnceEvenWithAnIdempotencyKey(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let cluster = try await broker.call(.POST, "/v1/clusters", token: broker.adminToken, json: #"{"name":"alpha","quota":5}"#)
            try #require(cluster.status == 201)
            let key = [("Idempotency-Key", "mint-once")]
            let first = try await broker.call(.POST, "/v1/clusters/alpha/tokens", token: broker.adminToken, headers: key)
            #expect(first.status == 201, "\(first.text)")
            let token = try #require(first["token"])
            let again = try await broker.call(.POST, "/v1/clusters/alpha/tokens", token: broker.adminToken, headers: key)
            #expect(!again.text.contains(token), "the token was stored in plain text and replayed")
            #expect(again.status == 201, "\(again.text)")
            #expect(again["token"] != nil)
            #expect(try await broker.call(.GET, "/v1/pools", token: token).status == 200)
        }
    }
}

/// Two clusters with a token each, a pool open to both, a pool open only to `beta`, and a
/// bandwidth package.
private struct World {
    let alphaToken: String
    let betaToken: String

    static func make(_ broker: TestBroker) async throws -> World {
        let admin = broker.adminToken
        for (path, body) in [
            ("/v1/clusters", #"{"name":"alpha","quota":10}"#),
            ("/v1/clusters", #"{"name":"beta","quota":10}"#),
            ("/v1/bandwidth-packages", #"{"id":"cbwp-auth1","maxIps":5}"#),
            ("/v1/pools", #"{"name":"shared","maxSize":10}"#),
            ("/v1/pools", #"{"name":"beta-only","maxSize":10,"clusters":["beta"]}"#),
        ] {
            let response = try await broker.call(.POST, path, token: admin, json: body)
            try #require(response.status == 201, "POST \(path): \(response.text)")
        }
        var tokens: [String] = []
        for name in ["alpha", "beta"] {
            let response = try await broker.call(.POST, "/v1/clusters/\(name)/tokens", token: admin)
            try #require(response.status == 201, "\(response.text)")
            #expect(response["cluster"] == name)
            tokens.append(try #require(response["token"]))
        }
        return World(alphaToken: tokens[0], betaToken: tokens[1])
    }
}
