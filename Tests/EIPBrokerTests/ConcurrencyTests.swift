import AsyncHTTPClient
import EIPBroker
import EIPCloud
import EIPCloudSimulated
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// The limits hold under contention: many agents allocating at once, through two broker replicas
/// on one PostgreSQL database (and one replica on SQLite), never push a cluster over its quota,
/// a pool over its size, or one address into two leases.
@Suite("Concurrency")
struct ConcurrencyTests {
    static let clusters = ["east-1", "east-2", "west-1", "west-2"]
    static let podsPerCluster = 50
    static let quota = 30
    static let poolSize = 50
    static let region = "cn-hangzhou"

    @Test func twoReplicasOnOnePostgreSQLKeepQuotaPoolAndAddressLimits() async throws {
        try await Self.withBrokers(.postgres, count: 2) { brokers, adminToken, cloud in
            try await Self.contend(brokers: brokers, adminToken: adminToken, cloud: cloud)
        }
    }

    @Test func oneReplicaOnSQLiteKeepsQuotaPoolAndAddressLimits() async throws {
        try await Self.withBrokers(.sqlite, count: 1) { brokers, adminToken, cloud in
            try await Self.contend(brokers: brokers, adminToken: adminToken, cloud: cloud)
        }
    }

    /// Allocations and releases of 4 clusters racing through two replicas on one pool and one
    /// bandwidth package, with no warm room, so every release frees a pool slot and a package
    /// seat while allocations take them: the store's one lock order means no transaction ever
    /// loses a deadlock (each would be retried, and logged), and every lifecycle ends.
    @Test func allocationsAndReleasesOnTwoReplicasNeverDeadlock() async throws {
        try await Self.withBrokers(.postgres, count: 2) { brokers, adminToken, _ in
            let kit = LeaseTestKit(brokers[0], adminToken: adminToken)
            var tokens: [String: String] = [:]
            for name in Self.clusters { tokens[name] = try await kit.cluster(name, quota: 100) }
            let package = try await brokers[0].call(
                .POST, "/v1/bandwidth-packages", token: adminToken, json: TestBroker.json(["id": "cbwp-churn", "maxIps": 200]))
            try #require(package.status == 201, "\(package.text)")
            try await kit.pool(["name": "churn", "maxSize": 200, "warm": ["min": 0, "max": 0], "bandwidthPackages": ["cbwp-churn"]])

            let rounds = 4
            var failures: [String] = []
            try await Self.withWideClient { client in
                failures = try await withThrowingTaskGroup(of: [String].self) { group in
                    for agent in 0..<32 {
                        let cluster = Self.clusters[agent % Self.clusters.count]
                        let url = brokers[agent % brokers.count].url
                        let token = tokens[cluster]!
                        group.addTask {
                            var failures: [String] = []
                            for round in 0..<rounds {
                                let pod = TestBroker.json([
                                    "namespace": "churn", "pod": "a\(agent)-\(round)", "podUid": "u\(agent)-\(round)", "pool": "churn",
                                ])
                                let allocated = try await Self.post(
                                    client, url + "/v1/leases?wait=30", token: token, json: pod, cluster: cluster)
                                guard allocated.status == 201, let id = allocated.id,
                                    try await Self.settled(allocated, into: "Allocated", kit: kit, token: token)
                                else {
                                    failures.append("allocate \(allocated.status): \(allocated.text.prefix(300))")
                                    continue
                                }
                                let released = try await Self.post(
                                    client, url + "/v1/leases/\(id)/release?wait=30", token: token, json: "{}", cluster: cluster)
                                var ended = false
                                if released.status == 200 {
                                    ended = try await Self.settled(released, into: "Released", kit: kit, token: token)
                                }
                                if !ended {
                                    failures.append("release \(released.status): \(released.text.prefix(300))")
                                }
                            }
                            return failures
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) lifecycles failed, first: \(failures.prefix(3))")
            for (index, broker) in brokers.enumerated() {
                let retried = broker.logs.text.split(separator: "\n").filter { $0.contains("losing a lock race") }
                #expect(retried.isEmpty, "replica \(index) retried \(retried.count) transactions: \(retried.prefix(3))")
            }
            #expect(try await kit.getPool("churn").int("size") == 0)
            #expect(try await kit.bandwidthPackage("cbwp-churn").int("members") == 0)
        }
    }

    /// What one concurrent call answered.
    struct Outcome: Sendable {
        var cluster: String
        var status: Int
        var code: String?
        var id: String?
        var phase: String?
        var ipAddress: String?
        var text: String
    }

    /// 200 pods of 4 clusters (quota 30 each) allocate at once from one pool of 50, through every
    /// broker; then the 50 granted leases are associated at once.
    static func contend(brokers: [TestBroker], adminToken: String, cloud: SimulatedCloud) async throws {
        let kit = LeaseTestKit(brokers[0], adminToken: adminToken)
        var tokens: [String: String] = [:]
        for name in clusters { tokens[name] = try await kit.cluster(name, quota: quota) }
        try await kit.pool(["name": "shared", "maxSize": poolSize, "warm": ["min": 0, "max": 0]])

        try await withWideClient { client in
            try await contend(brokers: brokers, kit: kit, tokens: tokens, client: client, cloud: cloud)
        }
    }

    /// Runs `body` with an HTTP client that lets every call be in flight at once (the test
    /// broker's client keeps 8 connections per broker).
    static func withWideClient(_ body: (HTTPClient) async throws -> Void) async throws {
        // The test broker's client (the agent's idle rule, a load-tolerant wait), with room for every call.
        var configuration = TestBroker.httpConfiguration
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private static func contend(
        brokers: [TestBroker], kit: LeaseTestKit, tokens: [String: String], client: HTTPClient, cloud: SimulatedCloud
    ) async throws {
        let urls = brokers.map(\.url)
        let requests: [(cluster: String, url: String, token: String, body: String)] = (0..<(clusters.count * podsPerCluster)).map { index in
            let cluster = clusters[index % clusters.count]
            let pod = index / clusters.count
            return (
                cluster, urls[pod % urls.count], tokens[cluster]!,
                TestBroker.json(["namespace": "batch", "pod": "worker-\(pod)", "podUid": "uid-\(cluster)-\(pod)", "pool": "shared"])
            )
        }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for request in requests {
                group.addTask {
                    try await post(
                        client, request.url + "/v1/leases?wait=30", token: request.token, json: request.body, cluster: request.cluster)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        let granted = outcomes.filter { $0.status == 201 }
        let refused = outcomes.filter { $0.status == 429 }
        #expect(granted.count == poolSize)
        #expect(refused.count == requests.count - poolSize)
        for outcome in outcomes where outcome.status != 201 && outcome.status != 429 {
            Issue.record("allocation answered \(outcome.status): \(outcome.text)")
        }
        for outcome in refused {
            #expect(outcome.code == "PoolExhausted" || outcome.code == "QuotaExceeded", "\(outcome.text)")
        }
        for cluster in clusters {
            #expect(granted.filter { $0.cluster == cluster }.count <= quota, "\(cluster)")
        }
        let grantedIDs = granted.compactMap(\.id)
        #expect(Set(grantedIDs).count == granted.count)

        // Associate every granted lease at once, again through every broker.
        let associations = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (index, lease) in granted.enumerated() {
                guard let id = lease.id else { continue }
                let url = urls[index % urls.count]
                let token = tokens[lease.cluster]!
                let body = TestBroker.json(["privateIpAddress": "10.20.\(index / 200).\(index % 200 + 1)"])
                group.addTask {
                    try await post(client, url + "/v1/leases/\(id)/associate?wait=30", token: token, json: body, cluster: lease.cluster)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(associations.count == granted.count)
        var addresses: [String: String] = [:]
        for association in associations {
            #expect(association.status == 200, "\(association.text)")
            guard let id = association.id, let token = tokens[association.cluster] else { continue }
            var phase = association.phase
            var address = association.ipAddress
            if phase != "InUse", phase != "Failed" {
                let lease = try await kit.waitForLease(id, token: token, "InUse") { $0["phase"] == "InUse" || $0["phase"] == "Failed" }
                phase = lease["phase"]
                address = lease["ipAddress"]
            }
            #expect(phase == "InUse", "\(association.text)")
            if let address {
                #expect(LeaseTestKit.isSimulatedPublicIP(address), "\(address)")
                #expect(addresses.updateValue(id, forKey: address) == nil, "\(address) is in two leases")
            }
        }
        #expect(addresses.count == poolSize)

        // The books agree: no cluster over quota, the pool full and no more, 50 distinct addresses.
        var active = 0
        for cluster in clusters {
            let leases = try #require(try await kit.cluster(cluster, token: kit.adminToken).int("activeLeases"))
            #expect(leases <= quota, "\(cluster)")
            #expect(leases == granted.filter { $0.cluster == cluster }.count, "\(cluster)")
            active += leases
        }
        #expect(active == poolSize)
        let pool = try await kit.getPool("shared")
        #expect(pool.int("size") == poolSize)
        #expect(pool.int("leased") == poolSize)
        #expect(pool.int("idle") == 0)

        let listed = try await kit.broker.call(.GET, "/v1/leases?pageSize=1000", token: kit.adminToken)
        #expect(listed.status == 200, "\(listed.text)")
        #expect(listed.object["nextPageToken"] == nil)
        let leases = listed.items
        #expect(leases.count == poolSize)
        #expect(Set(leases.compactMap { $0["id"] as? String }) == Set(grantedIDs))
        #expect(leases.allSatisfy { $0["phase"] as? String == "InUse" })
        let listedAddresses = leases.compactMap { $0["ipAddress"] as? String }
        #expect(listedAddresses.count == poolSize)
        #expect(Set(listedAddresses).count == poolSize, "no address in two leases")
        #expect(Set(listedAddresses) == Set(addresses.keys))

        // And so does the cloud: exactly the 50 leased EIPs exist, each bound once.
        let made = try await cloud.describeTagged(key: "eip-broker/owner", value: "eip-broker", region: region)
        #expect(made.count == poolSize)
        #expect(Set(made.map(\.ipAddress)) == Set(addresses.keys))
        #expect(made.allSatisfy { $0.status == .inUse })
        #expect(Set(made.compactMap(\.privateIPAddress)).count == poolSize)
    }

    /// One call with the suite's client, reduced to what the checks need.
    /// Whether the lease of an answer reached `phase`: at once when the answer shows it, or by
    /// polling (a loaded machine may take longer than the call's `wait`); `Failed` is not.
    private static func settled(_ outcome: Outcome, into phase: String, kit: LeaseTestKit, token: String) async throws -> Bool {
        guard let id = outcome.id else { return false }
        if outcome.phase == phase { return true }
        let lease = try await kit.waitForLease(id, token: token, "phase \(phase)") { $0["phase"] == phase || $0["phase"] == "Failed" }
        return lease["phase"] == phase
    }

    private static func post(_ client: HTTPClient, _ url: String, token: String, json: String, cluster: String) async throws -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        // A bound on a hung broker, not a speed check: on a machine kept busy by another process,
        // hundreds of racing calls through two replicas take minutes.
        let response = try await client.execute(request, timeout: .seconds(600))
        let body = try await response.body.collect(upTo: 1 << 20)
        let text = String(buffer: body)
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Outcome(
            cluster: cluster, status: Int(response.status.code), code: object["code"] as? String, id: object["id"] as? String,
            phase: object["phase"] as? String, ipAddress: object["ipAddress"] as? String, text: text
        )
    }

    /// Runs `body` with `count` brokers started on one fresh database of `backend` (sharing one
    /// admin token), and the simulated cloud account they allocate in; stops them afterwards.
    static func withBrokers(
        _ backend: Backend, count: Int, _ body: ([TestBroker], String, SimulatedCloud) async throws -> Void
    ) async throws {
        try await TestDatabase.with(backend) { db in
            let adminToken = "admin-" + UUID().uuidString
            var brokers: [TestBroker] = []
            do {
                for _ in 0..<count {
                    brokers.append(try await TestBroker.start(databaseURL: db.url) { $0.adminToken = adminToken })
                }
                try await body(brokers, adminToken, SimulatedCloud(account: "sim", database: try await db.openReplica()))
            } catch {
                for broker in brokers { await broker.stop() }
                throw error
            }
            for broker in brokers { await broker.stop() }
        }
    }
}
