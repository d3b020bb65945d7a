import EIPBroker
import EIPCloud
import EIPCloudSimulated
import EIPCore
import EIPSQL
import EIPStore
import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// Two clusters sharing one broker, one account and one pool, each treated as a hostile tenant
/// of the other: ENIs are found only in a cluster's own VPCs, answers and events name nothing of
/// the other, and tokens, idempotency keys and events belong to a cluster's immutable id.
@Suite("Tenancy")
struct TenancyTests {
    /// Two VPCs that reuse one pod CIDR, as Kubernetes clusters routinely do.
    static let vpcs = [SimulatedVPC(id: "vpc-a", cidrBlocks: ["10.0.0.0/16"]), SimulatedVPC(id: "vpc-b", cidrBlocks: ["10.0.0.0/16"])]
    static let region = "cn-hangzhou"

    /// A broker whose simulated account has ``vpcs``, a direct connection to its database, and
    /// the simulated cloud read through a second connection.
    static func withBroker(_ backend: Backend, _ body: (LeaseTestKit, TestDatabase, SimulatedCloud) async throws -> Void) async throws {
        try await TestDatabase.with(backend) { db in
            let broker = try await TestBroker.start(databaseURL: db.url) { $0.accounts = [.simulated(vpcs: vpcs)] }
            do {
                let cloud = SimulatedCloud(
                    account: "sim", database: try await db.openReplica(), latency: .zero, settleDelay: .milliseconds(20), vpcs: vpcs)
                try await body(LeaseTestKit(broker), db, cloud)
                await broker.stop()
            } catch {
                await broker.stop()
                throw error
            }
        }
    }

    /// The fields an error answer names.
    static func fields(of response: TestResponse) -> [String] {
        (response.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
    }

    static func pod(_ name: String, pool: String = "web") -> [String: Any] {
        ["namespace": "default", "pod": name, "podUid": "uid-\(name)", "pool": pool]
    }

    @Test(arguments: Backend.allCases)
    func podsWithTheSamePrivateIPInTwoVPCsEachBindTheirOwnClustersENI(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { kit, _, cloud in
            let alpha = try await kit.cluster("alpha", quota: 5, ["vpcIds": ["vpc-a"]])
            let beta = try await kit.cluster("beta", quota: 5, ["vpcIds": ["vpc-b"]])
            try await kit.pool(["name": "web", "maxSize": 10])

            var bound: [String: String] = [:]
            for (cluster, token, vpc) in [("alpha", alpha, "vpc-a"), ("beta", beta, "vpc-b")] {
                let allocated = try await kit.settle(
                    try await kit.allocate(token: token, Self.pod("db-0")), into: "Allocated", token: token)
                let id = try #require(allocated["id"])
                let lease = try await kit.associate(id, token: token, privateIP: "10.0.0.5")
                #expect(lease["phase"] == "InUse", "\(cluster): \(lease)")
                let own = try await cloud.networkInterfaces(
                    privateIPAddresses: ["10.0.0.5"], networkInterfaceIDs: [], vpcID: vpc, region: Self.region)
                #expect(own.count == 1)
                #expect(lease["networkInterfaceId"] == own.first?.networkInterfaceID, "\(cluster) bound outside \(vpc)")
                let eip = try await cloud.describe(allocationID: try #require(lease["allocationId"]), region: Self.region)
                #expect(eip?.instanceID == own.first?.networkInterfaceID)
                #expect(eip?.privateIPAddress == "10.0.0.5")
                bound[cluster] = lease["networkInterfaceId"]
            }
            #expect(bound["alpha"] != nil && bound["alpha"] != bound["beta"])

            // Another VPC's ENI, or an IP outside the cluster's VPCs, is refused and changes nothing.
            let second = try await kit.settle(try await kit.allocate(token: alpha, Self.pod("db-1")), into: "Allocated", token: alpha)
            let secondID = try #require(second["id"])
            let refusals: [([String: Any], String)] = [
                (["privateIpAddress": "10.0.0.5", "networkInterfaceId": try #require(bound["beta"])], "networkInterfaceId"),
                (["privateIpAddress": "172.16.0.9"], "privateIpAddress"),
                (["privateIpAddress": "10.0.0.6", "networkInterfaceId": try #require(bound["alpha"])], "privateIpAddress"),
            ]
            for (body, field) in refusals {
                let refused = try await kit.broker.call(
                    .POST, "/v1/leases/\(secondID)/associate", token: alpha, json: TestBroker.json(body))
                #expect(refused.status == 422, "\(body): \(refused.text)")
                #expect(refused["code"] == "Unprocessable")
                #expect(Self.fields(of: refused) == [field], "\(refused.text)")
                #expect(!refused.text.contains("beta"), "\(refused.text)")
            }
            let untouched = try await kit.lease(secondID, token: alpha)
            #expect(untouched["phase"] == "Allocated")
            #expect(untouched["privateIpAddress"] == nil)
            #expect(untouched["networkInterfaceId"] == nil)
            // The other cluster's binding still stands.
            let betaLeases = try await kit.broker.call(.GET, "/v1/leases?phase=InUse", token: beta)
            #expect(betaLeases.items.compactMap { $0["networkInterfaceId"] as? String } == [try #require(bound["beta"])])
        }
    }

    @Test(arguments: Backend.allCases)
    func aClustersAnswersAndEventsNameNothingOfAnotherCluster(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { kit, _, cloud in
            let alpha = try await kit.cluster("alpha", quota: 5, ["vpcIds": ["vpc-a"]])
            let beta = try await kit.cluster("beta", quota: 5, ["vpcIds": ["vpc-b"]])
            try await kit.pool(["name": "secret-pool", "maxSize": 5, "clusters": ["alpha"]])
            let shared = try await cloud.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "shared-1", tags: [:])
            ).allocationID
            let held = try await kit.allocate(
                token: alpha, ["namespace": "payments", "pod": "ledger-0", "podUid": "uid-ledger-0", "eipInstanceId": shared])
            _ = try await kit.settle(held, into: "Allocated", token: alpha)
            let pooled = try await kit.allocate(
                token: alpha, ["namespace": "payments", "pod": "api-0", "podUid": "uid-api-0", "pool": "secret-pool"])
            let pooledEIP = try #require(
                LeaseTestKit.Object(try await kit.settle(pooled, into: "Allocated", token: alpha).fields)["allocationId"])

            var answers: [TestResponse] = []
            for eip in [shared, pooledEIP] {
                let taken = try await kit.allocate(
                    token: beta, ["namespace": "default", "pod": "web-0", "podUid": "uid-web-0", "eipInstanceId": eip])
                #expect(taken.status == 409, "\(taken.text)")
                #expect(taken["code"] == "AddressInUse")
                answers.append(taken)
            }
            let robbing = try await kit.allocate(
                token: beta, ["namespace": "default", "pod": "web-1", "podUid": "uid-web-1", "eipInstanceId": shared, "allowRob": true])
            #expect(robbing.status == 403, "\(robbing.text)")
            answers.append(robbing)
            answers.append(try await kit.allocate(token: beta, Self.pod("web-2", pool: "secret-pool")))
            answers.append(try await kit.broker.call(.GET, "/v1/events?pageSize=1000", token: beta))
            for answer in answers {
                for secret in ["alpha", "payments", "ledger", "api-0", "secret-pool"] where answer.status != 403 || secret != "secret-pool"
                {
                    #expect(!answer.text.contains(secret), "\(secret) leaked to beta: \(answer.text)")
                }
            }
            // The admin is told who holds it.
            let asAdmin = try await kit.allocate(
                token: kit.adminToken,
                ["cluster": "beta", "namespace": "default", "pod": "web-3", "podUid": "uid-web-3", "eipInstanceId": shared])
            #expect(asAdmin.status == 409)
            #expect(asAdmin["detail"]?.contains("payments/ledger-0 of cluster alpha") == true, "\(asAdmin.text)")
        }
    }

    @Test(arguments: Backend.allCases)
    func aMintedTokenIsNeverReplayedNorStoredInClear(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { kit, db, _ in
            _ = try await kit.cluster("alpha", quota: 5, ["vpcIds": ["vpc-a"]])
            var tokens: [String] = []
            for path in ["/v1/clusters/alpha/tokens/", "/v1/clusters/alpha/tokens/", "/v1/clusters/alpha/tokens"] {
                let minted = try await kit.broker.call(.POST, path, token: kit.adminToken, headers: [("Idempotency-Key", "mint-1")])
                #expect(minted.status == 201, "\(path): \(minted.text)")
                #expect(minted.headers["Idempotent-Replayed"].isEmpty)
                tokens.append(try #require(minted["token"]))
            }
            #expect(Set(tokens).count == 3)
            for table in ["idempotency_keys", "events", "tokens", "clusters"] {
                let rows = try await db.database.query("SELECT * FROM \(raw: table)")
                for row in rows {
                    let text = "\(row)"
                    for token in tokens { #expect(!text.contains(token), "a minted token is stored in clear in \(table)") }
                }
            }
            // Each minted token works.
            for token in tokens {
                #expect(try await kit.broker.call(.GET, "/v1/clusters/alpha", token: token).status == 200)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aReCreatedClusterInheritsNeitherIdempotencyKeysNorEvents(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { kit, _, _ in
            let first = try await kit.cluster("alpha", quota: 5, ["vpcIds": ["vpc-a"]])
            let beat = try await kit.broker.call(
                .POST, "/v1/heartbeats", token: first, json: TestBroker.json(["pods": [] as [Any]]),
                headers: [("Idempotency-Key", "beat-1")]
            )
            #expect(beat.status == 200, "\(beat.text)")
            let firstID = try #require(try await kit.cluster("alpha", token: first)["id"])
            #expect(try await kit.broker.call(.DELETE, "/v1/clusters/alpha", token: kit.adminToken).status == 204)

            let second = try await kit.cluster("alpha", quota: 5, ["vpcIds": ["vpc-a"]])
            #expect(try await kit.cluster("alpha", token: second)["id"] != firstID)
            // The same key with another body is a new request for the new cluster, not a conflict.
            let again = try await kit.broker.call(
                .POST, "/v1/heartbeats", token: second,
                json: TestBroker.json(["pods": [["namespace": "default", "pod": "web-0", "podUid": "uid-web-0"]]]),
                headers: [("Idempotency-Key", "beat-1")]
            )
            #expect(again.status == 200, "\(again.text)")
            #expect(again.headers["Idempotent-Replayed"].isEmpty)
            let events = try await kit.broker.call(.GET, "/v1/events?pageSize=1000", token: second)
            let actions = events.items.compactMap { $0["action"] as? String }
            #expect(actions == ["cluster.create", "token.create"], "\(events.text)")
        }
    }

    @Test func aClusterOnARealCloudMustNameItsVPCs() async throws {
        try await TestBroker.with(.sqlite, configure: { $0.accounts = [.simulated(), .alibaba(Self.unreachableAlibaba)] }) { broker in
            let missing = try await broker.call(
                .POST, "/v1/clusters", token: broker.adminToken, json: #"{"name":"prod","quota":5,"provider":"aliyun"}"#)
            #expect(missing.status == 422, "\(missing.text)")
            #expect(missing.text.contains("vpcIds"))
            let bad = try await broker.call(
                .POST, "/v1/clusters", token: broker.adminToken,
                json: #"{"name":"prod","quota":5,"provider":"aliyun","vpcIds":["vpc-a","vpc-a","subnet-1"]}"#
            )
            #expect(bad.status == 400)
            #expect(bad.text.contains("vpcIds[2]") && bad.text.contains("twice"), "\(bad.text)")
            let made = try await broker.call(
                .POST, "/v1/clusters", token: broker.adminToken,
                json: #"{"name":"prod","quota":5,"provider":"aliyun","region":"cn-shanghai","vpcIds":["vpc-a"]}"#
            )
            #expect(made.status == 201, "\(made.text)")
            #expect(made["provider"] == "aliyun" && made["region"] == "cn-shanghai")
            #expect(made["id"]?.hasPrefix("c-") == true)
            let emptied = try await broker.call(.PATCH, "/v1/clusters/prod", token: broker.adminToken, json: #"{"vpcIds":[]}"#)
            #expect(emptied.status == 400, "\(emptied.text)")
            let robbing = try await broker.call(
                .PATCH, "/v1/clusters/prod", token: broker.adminToken, json: #"{"allowRob":true,"vpcIds":["vpc-a","vpc-b"]}"#)
            #expect(robbing.status == 200, "\(robbing.text)")
            #expect(robbing.text.contains("vpc-b") && robbing.object["allowRob"] as? Bool == true)
            // A simulated account needs no VPC; the cluster defaults to the first account.
            let simulated = try await broker.call(.POST, "/v1/clusters", token: broker.adminToken, json: #"{"name":"dev","quota":5}"#)
            #expect(simulated.status == 201, "\(simulated.text)")
            #expect(simulated["provider"] == "sim" && simulated["region"] == "cn-hangzhou")
        }
    }

    /// An Alibaba account that is never called (its endpoints are a closed loopback port).
    static var unreachableAlibaba: AlibabaCloudProvider.Configuration {
        AlibabaCloudProvider.Configuration(
            account: "aliyun", credentials: .accessKey(id: "LTAItest", secret: "not-a-secret"),
            endpoints: .all(at: URL(string: "http://127.0.0.1:9")!)
        )
    }
}
