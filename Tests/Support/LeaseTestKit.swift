import AsyncHTTPClient
import EIPBroker
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import NIOHTTP1
import Testing

/// The calls an operator and a cluster's agent make against a ``TestBroker``, shared by the lease
/// suites: set-up, the lease verbs, and bounded polling of leases and pools.
///
/// ```swift
/// let kit = LeaseTestKit(broker)
/// let token = try await kit.cluster("prod-hz-1", quota: 10)
/// try await kit.pool(["name": "web", "maxSize": 10])
/// let lease = try await kit.settle(try await kit.allocate(token: token, [...]), into: "Allocated", token: token)
/// ```
struct LeaseTestKit: Sendable {
    let broker: TestBroker
    /// The admin token; brokers sharing one database must be started with the same one.
    let adminToken: String

    init(_ broker: TestBroker, adminToken: String? = nil) {
        self.broker = broker
        self.adminToken = adminToken ?? broker.adminToken
    }

    /// A JSON object of an answer, with typed accessors.
    struct Object: @unchecked Sendable, CustomStringConvertible {
        /// Decoded by `JSONSerialization` and never mutated.
        let fields: [String: Any]

        init(_ fields: [String: Any]) { self.fields = fields }

        subscript(key: String) -> String? { fields[key] as? String }

        func int(_ key: String) -> Int? { LeaseTestKit.int(fields[key]) }

        func strings(_ key: String) -> [String]? { fields[key] as? [String] }

        var description: String {
            let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(fields)"
        }
    }

    // MARK: Operator

    /// Registers a cluster (with `settings` such as `vpcIds`, `provider`, `allowRob`) and mints
    /// its token. - Returns: the token.
    func cluster(_ name: String, quota: Int, _ settings: [String: Any] = [:]) async throws -> String {
        let body = settings.merging(["name": name, "quota": quota]) { _, new in new }
        let created = try await broker.call(.POST, "/v1/clusters", token: adminToken, json: TestBroker.json(body))
        try #require(created.status == 201, "\(created.text)")
        let minted = try await broker.call(.POST, "/v1/clusters/\(name)/tokens", token: adminToken)
        try #require(minted.status == 201, "\(minted.text)")
        #expect(minted["cluster"] == name)
        return try #require(minted["token"])
    }

    /// Reads a cluster with `token` (the admin's or its own).
    func cluster(_ name: String, token: String) async throws -> Object {
        let response = try await broker.call(.GET, "/v1/clusters/\(name)", token: token)
        try #require(response.status == 200, "\(response.text)")
        return Object(response.object)
    }

    /// Creates a pool. - Returns: the pool as created.
    @discardableResult
    func pool(_ body: [String: Any]) async throws -> Object {
        let response = try await broker.call(.POST, "/v1/pools", token: adminToken, json: TestBroker.json(body))
        try #require(response.status == 201, "\(response.text)")
        return Object(response.object)
    }

    func getPool(_ name: String) async throws -> Object {
        let response = try await broker.call(.GET, "/v1/pools/\(name)", token: adminToken)
        try #require(response.status == 200, "\(response.text)")
        return Object(response.object)
    }

    func bandwidthPackage(_ id: String) async throws -> Object {
        let response = try await broker.call(.GET, "/v1/bandwidth-packages/\(id)", token: adminToken)
        try #require(response.status == 200, "\(response.text)")
        return Object(response.object)
    }

    // MARK: Agent

    /// `POST /v1/leases` with `body`, waiting `wait` seconds (none when `nil`).
    func allocate(token: String, _ body: [String: Any], wait: Int? = 10, headers: [(String, String)] = []) async throws -> TestResponse {
        try await broker.call(
            .POST, "/v1/leases" + (wait.map { "?wait=\($0)" } ?? ""), token: token, json: TestBroker.json(body), headers: headers)
    }

    /// Associates a lease with `privateIP` (waiting up to 10 s) and returns it once `InUse` or `Failed`.
    func associate(_ id: String, token: String, privateIP: String) async throws -> Object {
        let response = try await broker.call(
            .POST, "/v1/leases/\(id)/associate?wait=10", token: token, json: TestBroker.json(["privateIpAddress": privateIP]))
        return try await settle(response, into: "InUse", token: token)
    }

    /// Releases a lease (waiting up to 10 s) and returns it once in `expecting` or `Failed`.
    func release(_ id: String, token: String, force: Bool? = nil, expecting phase: String) async throws -> Object {
        let response = try await broker.call(
            .POST, "/v1/leases/\(id)/release?wait=10", token: token, json: force.map { TestBroker.json(["force": $0]) })
        return try await settle(response, into: phase, token: token)
    }

    /// The first page of leases `token` sees.
    func leases(token: String) async throws -> [Object] {
        let response = try await broker.call(.GET, "/v1/leases", token: token)
        try #require(response.status == 200, "\(response.text)")
        return (response.object["items"] as? [[String: Any]] ?? []).map(Object.init)
    }

    func lease(_ id: String, token: String) async throws -> Object {
        let response = try await broker.call(.GET, "/v1/leases/\(id)", token: token)
        try #require(response.status == 200, "\(response.text)")
        return Object(response.object)
    }

    /// The lease of a successful answer once it is in `phase` (or `Failed`): at once when the
    /// answer (a `wait` call) already shows it, otherwise by polling.
    func settle(_ response: TestResponse, into phase: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> Object
    {
        try #require((200...201).contains(response.status), "\(response.text)", sourceLocation: sourceLocation)
        let lease = Object(response.object)
        if lease["phase"] == phase || lease["phase"] == "Failed" { return lease }
        return try await waitForLease(try #require(lease["id"]), token: token, "phase \(phase)", sourceLocation: sourceLocation) {
            $0["phase"] == phase || $0["phase"] == "Failed"
        }
    }

    /// Polls `GET /v1/leases/{id}` until `done` holds; see ``poll(_:timeout:sourceLocation:_:)``.
    func waitForLease(
        _ id: String, token: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation, until done: (Object) -> Bool
    ) async throws -> Object {
        try await Self.poll("lease \(id): \(what)", sourceLocation: sourceLocation) {
            let lease = try await self.lease(id, token: token)
            return (lease, done(lease))
        }
    }

    /// Polls `GET /v1/pools/{name}` until `done` holds.
    func waitForPool(_ name: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation, until done: (Object) -> Bool)
        async throws -> Object
    {
        try await Self.poll("pool \(name): \(what)", sourceLocation: sourceLocation) {
            let pool = try await getPool(name)
            return (pool, done(pool))
        }
    }

    /// Follows `nextPageToken` from the first page of `GET /v1/leases?<query>` to the last.
    /// - Returns: the lease ids of each page.
    func listPages(token: String, query: String, pageSize: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> [[String]]
    {
        var pages: [[String]] = []
        var pageToken: String?
        repeat {
            var path = "/v1/leases?pageSize=\(pageSize)" + (query.isEmpty ? "" : "&" + query)
            if let pageToken {
                path += "&pageToken=" + (pageToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? pageToken)
            }
            let response = try await broker.call(.GET, path, token: token)
            try #require(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
            pages.append(response.items.compactMap { $0["id"] as? String })
            pageToken = response.object["nextPageToken"] as? String
            try #require(pages.count <= 1000, "paging does not end", sourceLocation: sourceLocation)
        } while pageToken != nil
        return pages
    }

    // MARK: Helpers

    /// Makes an EIP in the broker's account `sim` directly, as a customer would in the console.
    static func customerEIP(in cloud: SimulatedCloud) async throws -> CloudEIP {
        try await cloud.allocate(
            CloudAllocationRequest(
                region: "cn-hangzhou", parameters: EIPParameters(bandwidth: 20, isp: "BGP_PRO"), clientToken: UUID().uuidString,
                tags: ["owner": "customer"])
        )
    }

    /// Runs `body` with a broker on a fresh database of `backend` and the simulated cloud account
    /// `sim` the broker allocates in, on a second connection to that database.
    static func withBrokerAndCloud<Result: Sendable>(
        _ backend: Backend, clock: WallClock = .system, configure: (inout BrokerConfiguration) -> Void = { _ in },
        _ body: (TestBroker, SimulatedCloud) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.with(backend) { db in
            let broker = try await TestBroker.start(databaseURL: db.url, clock: clock, configure: configure)
            do {
                let cloud = SimulatedCloud(account: "sim", database: try await db.openReplica())
                let result = try await body(broker, cloud)
                await broker.stop()
                return result
            } catch {
                await broker.stop()
                throw error
            }
        }
    }

    /// Calls `probe` every 50 ms until it says it is done, for at most `timeout` (generous: a
    /// loaded machine is slow, and the bound is not a timing claim). On time-out it records an
    /// issue and returns the last value, so the caller's expectations show it.
    static func poll<Value>(
        _ what: String, timeout: Duration = .seconds(180), sourceLocation: SourceLocation = #_sourceLocation,
        _ probe: () async throws -> (value: Value, done: Bool)
    ) async throws -> Value {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let (value, done) = try await probe()
            if done { return value }
            guard clock.now < deadline else {
                Issue.record("gave up after \(timeout) waiting for \(what); last seen: \(value)", sourceLocation: sourceLocation)
                return value
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A JSON number as an `Int`.
    static func int(_ value: Any?) -> Int? {
        switch value {
        case let int as Int: int
        case let number as NSNumber: number.intValue
        default: nil
        }
    }

    /// Whether `address` is in 198.18.0.0/15, where the simulated cloud allocates.
    static func isSimulatedPublicIP(_ address: String) -> Bool {
        let octets = address.split(separator: ".").compactMap { UInt8($0) }
        return octets.count == 4 && octets[0] == 198 && (octets[1] == 18 || octets[1] == 19)
    }
}
