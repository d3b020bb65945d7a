import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// Malformed requests against a real broker: each is refused with a 4xx problem document that
/// names the offending field, and none of them changes the books.
@Suite struct BadInputTests {
    @Test(arguments: Backend.allCases)
    func malformedRequestsAreRefusedAndChangeNothing(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let admin = broker.adminToken
            let leaseID = try await Self.seed(broker)
            let before = try await StoreSnapshot.settled(broker)
            #expect(before.leases.contains(leaseID), "the seeded lease is in the snapshot")

            let cases = BadRequest.all
            #expect(cases.count >= 30)
            for bad in cases {
                let path = bad.path.replacingOccurrences(of: "{lease}", with: leaseID)
                let response = try await broker.call(bad.method, path, token: admin, json: bad.body, headers: bad.headers)
                let problem = response.object
                let fields = (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                let detail = problem["detail"] as? String ?? ""
                let comment = Comment(rawValue: "\(bad.name): \(response.status) \(response.text.prefix(400))")

                #expect((400..<500).contains(response.status), comment)
                #expect(response.status == bad.status, comment)
                #expect(response.headers["content-type"].first == "application/problem+json", comment)
                #expect(problem["code"] as? String == bad.code, comment)
                #expect(problem["status"] as? Int == response.status, comment)
                if ["InvalidArgument", "Unprocessable"].contains(bad.code) {
                    // Validation failures list the offending fields in `errors` (the spec's contract).
                    #expect(fields.contains(bad.field), comment)
                } else {
                    #expect(fields.contains(bad.field) || detail.contains(bad.field), comment)
                }
            }

            let after = try await StoreSnapshot.take(broker)
            #expect(after.leases == before.leases)
            #expect(after.pools == before.pools)
            #expect(after.clusters == before.clusters)
            #expect(after.bandwidthPackages == before.bandwidthPackages)
            #expect(after.eventCount == before.eventCount)
        }
    }

    /// A cluster, a bandwidth package, a pool and one allocated lease, so that the snapshots have
    /// something to lose.
    /// - Returns: The lease's id.
    private static func seed(_ broker: TestBroker) async throws -> String {
        let admin = broker.adminToken
        let cluster = try await broker.call(.POST, "/v1/clusters", token: admin, json: #"{"name":"alpha","quota":10}"#)
        try #require(cluster.status == 201, "\(cluster.text)")
        let package = try await broker.call(.POST, "/v1/bandwidth-packages", token: admin, json: #"{"id":"cbwp-test1","maxIps":5}"#)
        try #require(package.status == 201, "\(package.text)")
        let pool = try await broker.call(.POST, "/v1/pools", token: admin, json: #"{"name":"default","maxSize":5}"#)
        try #require(pool.status == 201, "\(pool.text)")
        let lease = try await broker.call(
            .POST, "/v1/leases?wait=30", token: admin,
            json: #"{"cluster":"alpha","namespace":"default","pod":"web-0","podUid":"uid-web-0","pool":"default"}"#
        )
        try #require(lease.status == 201, "\(lease.text)")
        return try #require(lease["id"])
    }

    @Test func aMethodAPathDoesNotServeIs405WithAllowAndAnUnknownPathStays404() async throws {
        try await TestBroker.with(.sqlite) { broker in
            let trace = try await broker.call(.TRACE, "/v1/clusters/prod", token: broker.adminToken)
            #expect(trace.status == 405, "\(trace.text)")
            #expect(trace.headers["Allow"].first == "DELETE, GET, PATCH")
            #expect(trace["code"] == "MethodNotAllowed")
            let put = try await broker.call(.PUT, "/v1/leases", token: broker.adminToken, json: "{}")
            #expect(put.status == 405 && put.headers["Allow"].first == "GET, POST", "\(put.text)")
            let nowhere = try await broker.call(.GET, "/v1/nowhere", token: broker.adminToken)
            #expect(nowhere.status == 404 && nowhere.headers["Allow"].isEmpty, "\(nowhere.text)")
        }
    }
}

/// One malformed request and the answer it must get.
struct BadRequest: Sendable {
    let name: String
    let method: HTTPMethod
    /// `{lease}` is replaced with the seeded lease's id.
    let path: String
    let body: String?
    var headers: [(String, String)] = []
    var status = 400
    var code = "InvalidArgument"
    /// The field that must be named in `errors[].field` (or, for other codes, in `detail`).
    let field: String

    /// An allocate body for a pod that holds no lease, with `changes` applied (`nil` removes a key).
    static func allocate(_ changes: [String: Any?] = [:]) -> String {
        var body: [String: Any] = ["cluster": "alpha", "namespace": "default", "pod": "bad-pod", "podUid": "uid-bad", "pool": "default"]
        for (key, value) in changes { body[key] = value }
        return TestBroker.json(body)
    }

    static func lease(_ name: String, _ changes: [String: Any?], field: String, status: Int = 400, code: String = "InvalidArgument")
        -> BadRequest
    {
        BadRequest(name: name, method: .POST, path: "/v1/leases", body: allocate(changes), status: status, code: code, field: field)
    }

    static var all: [BadRequest] {
        var cases: [BadRequest] = [
            // Allocate: required fields.
            lease("missing namespace", ["namespace": nil], field: "namespace"),
            lease("missing pod", ["pod": nil], field: "pod"),
            lease("missing podUid", ["podUid": nil], field: "podUid"),
            lease("admin without cluster", ["cluster": nil], field: "cluster", status: 422, code: "Unprocessable"),
            BadRequest(
                name: "namespace null", method: .POST, path: "/v1/leases",
                body: #"{"cluster":"alpha","namespace":null,"pod":"bad-pod","podUid":"uid-bad","pool":"default"}"#, field: "namespace"),
            // Allocate: wrong types and ranges.
            lease("bandwidth as a word", ["bandwidth": "five"], field: "bandwidth"),
            lease("bandwidth zero", ["bandwidth": 0], field: "bandwidth"),
            lease("bandwidth negative", ["bandwidth": -1], field: "bandwidth"),
            lease("bandwidth huge", ["bandwidth": 100_000], field: "bandwidth"),
            lease("bandwidth fractional", ["bandwidth": 2.5], field: "bandwidth"),
            BadRequest(
                name: "bandwidth beyond Int", method: .POST, path: "/v1/leases",
                body: #"{"cluster":"alpha","namespace":"default","pod":"bad-pod","podUid":"uid-bad","pool":"default","bandwidth":1e30}"#,
                field: "bandwidth"),
            lease("allowRob as a string", ["allowRob": "yes"], field: "allowRob"),
            // Allocate: sources.
            lease("unknown pool", ["pool": "nope"], field: "pool", status: 422, code: "Unprocessable"),
            lease("unknown cluster", ["cluster": "ghost"], field: "cluster", status: 422, code: "Unprocessable"),
            lease("pool and eipInstanceId", ["eipInstanceId": "eip-abc123"], field: "eipInstanceId", status: 422, code: "Unprocessable"),
            lease("neither pool nor eipInstanceId", ["pool": nil], field: "pool", status: 422, code: "Unprocessable"),
            lease("bad eipInstanceId", ["pool": nil, "eipInstanceId": "i-123"], field: "eipInstanceId"),
            lease(
                "overrides with a static EIP", ["pool": nil, "eipInstanceId": "eip-abc123", "bandwidth": 5], field: "eipInstanceId",
                status: 422, code: "Unprocessable"),
            lease("allowRob without eipInstanceId", ["allowRob": true], field: "allowRob", status: 422, code: "Unprocessable"),
            // Allocate: release strategies.
            lease("release strategy Sometimes", ["releaseStrategy": "Sometimes"], field: "releaseStrategy"),
            lease("release strategy negative", ["releaseStrategy": "-5m"], field: "releaseStrategy"),
            lease("release strategy bad unit", ["releaseStrategy": "10x"], field: "releaseStrategy"),
            lease("release strategy zero", ["releaseStrategy": "0s"], field: "releaseStrategy"),
            lease("release strategy too long", ["releaseStrategy": "9999h"], field: "releaseStrategy"),
            // Allocate: names and cloud parameters.
            lease("upper-case namespace", ["namespace": "Default"], field: "namespace"),
            lease("pod with a space", ["pod": "web 0"], field: "pod"),
            lease("podUid with a space", ["podUid": "uid bad"], field: "podUid"),
            lease("pool name with underscore", ["pool": "my_pool"], field: "pool"),
            lease("bad internet charge type", ["internetChargeType": "Free"], field: "internetChargeType"),
            lease("bad instance charge type", ["instanceChargeType": "Monthly"], field: "instanceChargeType"),
            lease("bad ISP", ["isp": "BGP PRO"], field: "isp"),
            lease("bad bandwidth package id", ["bandwidthPackageId": "pkg-1"], field: "bandwidthPackageId"),
            lease("bad resource group", ["resourceGroupId": "group-1"], field: "resourceGroupId"),
            lease("name with a NUL byte", ["name": "relay\u{0}0"], field: "name"),
            lease("description with a NUL byte", ["description": "relay\u{0}0"], field: "description"),
            // Allocate: malformed documents.
            BadRequest(name: "truncated JSON", method: .POST, path: "/v1/leases", body: #"{"namespace":"#, field: "body"),
            BadRequest(name: "JSON array", method: .POST, path: "/v1/leases", body: #"[{"namespace":"default"}]"#, field: "body"),
            BadRequest(name: "empty body", method: .POST, path: "/v1/leases", body: "", field: "namespace"),
            lease("unknown field", ["colour": "red"], field: "colour"),
            BadRequest(
                name: "oversize body", method: .POST, path: "/v1/leases",
                body: allocate(["description": String(repeating: "a", count: (1 << 20) + 1)]),
                status: 413, code: "PayloadTooLarge", field: "body"),
            // Allocate: query and headers.
            BadRequest(name: "wait negative", method: .POST, path: "/v1/leases?wait=-1", body: allocate(), field: "wait"),
            BadRequest(name: "wait too long", method: .POST, path: "/v1/leases?wait=3600", body: allocate(), field: "wait"),
            BadRequest(name: "wait not a number", method: .POST, path: "/v1/leases?wait=soon", body: allocate(), field: "wait"),
            BadRequest(
                name: "Idempotency-Key with spaces", method: .POST, path: "/v1/leases", body: allocate(),
                headers: [("Idempotency-Key", "not a key")], field: "Idempotency-Key"),
            BadRequest(
                name: "Idempotency-Key too long", method: .POST, path: "/v1/leases", body: allocate(),
                headers: [("Idempotency-Key", String(repeating: "k", count: 201))], field: "Idempotency-Key"),

            // Associate.
            BadRequest(
                name: "associate without privateIpAddress", method: .POST, path: "/v1/leases/{lease}/associate",
                body: #"{"networkInterfaceId":"eni-abc123"}"#, field: "privateIpAddress"),
            BadRequest(
                name: "associate with a numeric IP", method: .POST, path: "/v1/leases/{lease}/associate",
                body: #"{"privateIpAddress":10}"#, field: "privateIpAddress"),
            BadRequest(
                name: "associate with a bad eni", method: .POST, path: "/v1/leases/{lease}/associate",
                body: #"{"privateIpAddress":"192.168.0.10","networkInterfaceId":"eth0"}"#, field: "networkInterfaceId"),
            BadRequest(
                name: "associate with an unknown field", method: .POST, path: "/v1/leases/{lease}/associate",
                body: #"{"privateIpAddress":"192.168.0.10","mac":"aa:bb"}"#, field: "mac"),
            BadRequest(
                name: "associate an unknown lease", method: .POST, path: "/v1/leases/no-such-lease/associate",
                body: #"{"privateIpAddress":"192.168.0.10"}"#, status: 404, code: "NotFound", field: "lease"),
            // Release.
            BadRequest(
                name: "release with force as a string", method: .POST, path: "/v1/leases/{lease}/release",
                body: #"{"force":"yes"}"#, field: "force"),
            BadRequest(
                name: "release with an unknown field", method: .POST, path: "/v1/leases/{lease}/release",
                body: #"{"forced":true}"#, field: "forced"),
            BadRequest(
                name: "release with wait too long", method: .POST, path: "/v1/leases/{lease}/release?wait=61",
                body: #"{}"#, field: "wait"),
            // Heartbeat.
            BadRequest(
                name: "heartbeat pods not an array", method: .POST, path: "/v1/heartbeats",
                body: #"{"cluster":"alpha","pods":"web-0"}"#, field: "pods"),
            BadRequest(
                name: "heartbeat pod without uid", method: .POST, path: "/v1/heartbeats",
                body: #"{"cluster":"alpha","pods":[{"namespace":"default","pod":"web-0"}]}"#, field: "pods[0].podUid"),
            BadRequest(
                name: "heartbeat upper-case namespace", method: .POST, path: "/v1/heartbeats",
                body: #"{"cluster":"alpha","pods":[{"namespace":"Default","pod":"web-0","podUid":"uid-web-0"}]}"#,
                field: "pods[0].namespace"),
            BadRequest(
                name: "heartbeat without pods", method: .POST, path: "/v1/heartbeats",
                body: #"{"cluster":"alpha"}"#, field: "pods"),
            BadRequest(
                name: "heartbeat for a cluster with a NUL byte", method: .POST, path: "/v1/heartbeats",
                body: TestBroker.json(["cluster": "al\u{0}pha", "pods": [Any]()]), field: "cluster"),
            BadRequest(
                name: "heartbeat for an unknown cluster", method: .POST, path: "/v1/heartbeats",
                body: #"{"cluster":"ghost","pods":[]}"#, status: 422, code: "Unprocessable", field: "cluster"),

            // Pools.
            BadRequest(name: "pool without name", method: .POST, path: "/v1/pools", body: #"{"maxSize":5}"#, field: "name"),
            BadRequest(name: "pool without maxSize", method: .POST, path: "/v1/pools", body: #"{"name":"second"}"#, field: "maxSize"),
            BadRequest(
                name: "pool name with underscore", method: .POST, path: "/v1/pools", body: #"{"name":"my_pool","maxSize":5}"#, field: "name"
            ),
            BadRequest(
                name: "pool maxSize zero", method: .POST, path: "/v1/pools", body: #"{"name":"second","maxSize":0}"#, field: "maxSize"),
            BadRequest(
                name: "pool warm as a string", method: .POST, path: "/v1/pools", body: #"{"name":"second","maxSize":5,"warm":"lots"}"#,
                field: "warm"),
            BadRequest(
                name: "pool warm min above max", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"warm":{"min":3,"max":1}}"#, status: 422, code: "Unprocessable", field: "warm.min"),
            BadRequest(
                name: "pool warm without max", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"warm":{"min":1}}"#, field: "warm.max"),
            BadRequest(
                name: "pool warm with an unknown field", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"warm":{"min":0,"max":0,"target":1}}"#, field: "warm.target"),
            BadRequest(
                name: "pool with a bad package id", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"bandwidthPackages":["pkg-1"]}"#, field: "bandwidthPackages[0]"),
            BadRequest(
                name: "pool with an unregistered package", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"bandwidthPackages":["cbwp-unknown"]}"#, status: 422, code: "Unprocessable",
                field: "bandwidthPackages[0]"),
            BadRequest(
                name: "pool open to an unknown cluster", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"clusters":["alpha","ghost"]}"#, status: 422, code: "Unprocessable",
                field: "clusters[1]"),
            BadRequest(
                name: "patch pool open to an unknown cluster", method: .PATCH, path: "/v1/pools/default",
                body: #"{"clusters":["ghost"]}"#, status: 422, code: "Unprocessable", field: "clusters[0]"),
            BadRequest(
                name: "pool with a bad ISP", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"isp":"BGP-PRO!"}"#, field: "isp"),
            BadRequest(
                name: "pool with a bad charge type", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"internetChargeType":"PayByMood"}"#, field: "internetChargeType"),
            BadRequest(
                name: "pool bandwidth huge", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"bandwidth":100000}"#, field: "bandwidth"),
            BadRequest(
                name: "pool for an unknown provider", method: .POST, path: "/v1/pools",
                body: #"{"name":"second","maxSize":5,"provider":"nimbus"}"#, status: 422, code: "Unprocessable", field: "provider"),
            BadRequest(
                name: "patch pool maxSize zero", method: .PATCH, path: "/v1/pools/default", body: #"{"maxSize":0}"#, field: "maxSize"),
            BadRequest(
                name: "patch pool warm min above max", method: .PATCH, path: "/v1/pools/default",
                body: #"{"warm":{"min":4,"max":2}}"#, status: 422, code: "Unprocessable", field: "warm.min"),
            BadRequest(
                name: "patch pool unknown field", method: .PATCH, path: "/v1/pools/default", body: #"{"name":"renamed"}"#, field: "name"),
            BadRequest(name: "patch pool without a body", method: .PATCH, path: "/v1/pools/default", body: nil, field: "body"),
            BadRequest(
                name: "patch pool clusters null", method: .PATCH, path: "/v1/pools/default", body: #"{"clusters":null}"#, field: "clusters"),
            BadRequest(name: "lease filter not a name", method: .GET, path: "/v1/leases?pool=Bad_Pool", body: nil, field: "pool"),
            BadRequest(
                name: "events subject too long", method: .GET, path: "/v1/events?subjectId=\(String(repeating: "s", count: 254))",
                body: nil, field: "subjectId"),
            BadRequest(
                name: "TRACE on a pool", method: .TRACE, path: "/v1/pools/default", body: nil, status: 405, code: "MethodNotAllowed",
                field: "TRACE"),
            BadRequest(
                name: "get an unknown pool", method: .GET, path: "/v1/pools/nope", body: nil, status: 404, code: "NotFound", field: "pool"),

            // Clusters.
            BadRequest(name: "cluster without quota", method: .POST, path: "/v1/clusters", body: #"{"name":"beta"}"#, field: "quota"),
            BadRequest(
                name: "cluster quota as a word", method: .POST, path: "/v1/clusters", body: #"{"name":"beta","quota":"x"}"#, field: "quota"),
            BadRequest(
                name: "cluster quota negative", method: .POST, path: "/v1/clusters", body: #"{"name":"beta","quota":-1}"#, field: "quota"),
            BadRequest(
                name: "cluster name upper-case", method: .POST, path: "/v1/clusters", body: #"{"name":"Beta","quota":1}"#, field: "name"),
            BadRequest(
                name: "cluster with a bad Idempotency-Key", method: .POST, path: "/v1/clusters", body: #"{"name":"beta","quota":1}"#,
                headers: [("Idempotency-Key", "")], field: "Idempotency-Key"),
            BadRequest(
                name: "patch cluster quota negative", method: .PATCH, path: "/v1/clusters/alpha", body: #"{"quota":-5}"#, field: "quota"),

            // Bandwidth packages.
            BadRequest(
                name: "package with a bad id", method: .POST, path: "/v1/bandwidth-packages", body: #"{"id":"bwp-1","maxIps":5}"#,
                field: "id"),
            BadRequest(
                name: "package maxIps zero", method: .POST, path: "/v1/bandwidth-packages", body: #"{"id":"cbwp-test2","maxIps":0}"#,
                field: "maxIps"),
            BadRequest(
                name: "package without maxIps", method: .POST, path: "/v1/bandwidth-packages", body: #"{"id":"cbwp-test2"}"#,
                field: "maxIps"),

            // Lists.
            BadRequest(name: "pageSize zero", method: .GET, path: "/v1/leases?pageSize=0", body: nil, field: "pageSize"),
            BadRequest(name: "pageSize 5000", method: .GET, path: "/v1/leases?pageSize=5000", body: nil, field: "pageSize"),
            BadRequest(name: "pageSize not a number", method: .GET, path: "/v1/leases?pageSize=ten", body: nil, field: "pageSize"),
            BadRequest(name: "pageToken not base64", method: .GET, path: "/v1/leases?pageToken=%21%21%21", body: nil, field: "pageToken"),
            BadRequest(name: "events pageToken not issued", method: .GET, path: "/v1/events?pageToken=YWJj", body: nil, field: "pageToken"),
            BadRequest(name: "events pageSize zero", method: .GET, path: "/v1/events?pageSize=0", body: nil, field: "pageSize"),
            BadRequest(name: "phase filter unknown", method: .GET, path: "/v1/leases?phase=Bogus", body: nil, field: "phase"),
            BadRequest(name: "ipAddress filter malformed", method: .GET, path: "/v1/leases?ipAddress=1.2.3", body: nil, field: "ipAddress"),
            BadRequest(
                name: "namespace filter with a NUL byte", method: .GET, path: "/v1/leases?namespace=a%00b", body: nil, field: "namespace"),
            BadRequest(
                name: "get an unknown lease", method: .GET, path: "/v1/leases/no-such-lease", body: nil, status: 404, code: "NotFound",
                field: "lease"),
            BadRequest(name: "lease id with a NUL byte", method: .GET, path: "/v1/leases/a%00b", body: nil, field: "path"),
            BadRequest(
                name: "release a lease id with a NUL byte", method: .POST, path: "/v1/leases/a%00b/release", body: "{}", field: "path"),
            BadRequest(
                name: "events subjectId with a NUL byte", method: .GET, path: "/v1/events?subjectId=a%00b", body: nil, field: "subjectId"),
        ]
        for ip in ["300.1.1.1", "10.0.0", "abc", "01.2.3.4"] {
            cases.append(
                BadRequest(
                    name: "associate with private IP \(ip)", method: .POST, path: "/v1/leases/{lease}/associate",
                    body: TestBroker.json(["privateIpAddress": ip]), field: "privateIpAddress")
            )
        }
        return cases
    }
}

/// What the API shows of the books: every lease, pool, cluster and bandwidth package as JSON
/// text, and how many events were recorded.
struct StoreSnapshot: Equatable {
    var leases: String
    var pools: String
    var clusters: String
    var bandwidthPackages: String
    var eventCount: Int

    static func take(_ broker: TestBroker) async throws -> StoreSnapshot {
        func items(_ path: String) async throws -> [[String: Any]] {
            let response = try await broker.call(.GET, path, token: broker.adminToken)
            try #require(response.status == 200, "GET \(path): \(response.text)")
            return response.items
        }
        func text(_ items: [[String: Any]]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: items, options: [.sortedKeys]), as: UTF8.self)
        }
        return StoreSnapshot(
            leases: try text(try await items("/v1/leases?pageSize=1000")),
            pools: try text(try await items("/v1/pools")),
            clusters: try text(try await items("/v1/clusters")),
            bandwidthPackages: try text(try await items("/v1/bandwidth-packages")),
            eventCount: try await items("/v1/events?pageSize=1000").count
        )
    }

    /// A snapshot once the background loops have finished with the seeded state: two snapshots
    /// in a row agree (bounded: at most 100 tries).
    static func settled(_ broker: TestBroker) async throws -> StoreSnapshot {
        var previous = try await take(broker)
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(100))
            let next = try await take(broker)
            if next == previous { return next }
            previous = next
        }
        Issue.record("the books kept changing without any request")
        return previous
    }
}
