import AsyncHTTPClient
import EIPBroker
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// The lease life cycle over the real socket, as an operator and a cluster's agent drive it: the
/// operator registers a cluster, mints its token and creates pools; the agent, with the cluster
/// token, allocates, associates, lists and releases.
@Suite("Lease walkthrough")
struct LeaseWalkthroughTests {
    @Test(arguments: Backend.allCases)
    func agentAllocatesFromAWarmPoolAssociatesAndReleasesBackToThePool(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod-hz-1", quota: 10)
            let created = try await kit.pool([
                "name": "web", "maxSize": 10, "warm": ["min": 1, "max": 3],
                "bandwidth": 5, "internetChargeType": "PayByTraffic", "isp": "BGP",
            ])
            #expect(created.int("maxSize") == 10)
            #expect(created.int("bandwidth") == 5)

            // The pool keeper allocates the warm address in the cloud.
            let warmed = try await kit.waitForPool("web", "one warm idle address") { $0.int("idle") == 1 }
            #expect(warmed.int("size") == 1)
            #expect(warmed.int("leased") == 0)

            // Served from the warm address: no wait needed, the answer already holds the address.
            let allocation = try await kit.allocate(
                token: token,
                ["namespace": "default", "pod": "web-5b8f7c9d4-x2k9q", "podUid": "43c1df2a-f1e0-42b7-b3c4-969fa2e1d0c8", "pool": "web"],
                wait: nil
            )
            #expect(allocation.status == 201, "\(allocation.text)")
            let lease = LeaseTestKit.Object(allocation.object)
            let id = try #require(lease["id"])
            let address = try #require(lease["ipAddress"])
            let allocationID = try #require(lease["allocationId"])
            #expect(lease["phase"] == "Allocated")
            #expect(lease["cluster"] == "prod-hz-1")
            #expect(lease["namespace"] == "default")
            #expect(lease["pod"] == "web-5b8f7c9d4-x2k9q")
            #expect(lease["podUid"] == "43c1df2a-f1e0-42b7-b3c4-969fa2e1d0c8")
            #expect(lease["pool"] == "web")
            #expect(lease["allocationType"] == "Auto")
            #expect(lease["releaseStrategy"] == "Follow")
            #expect(lease.int("bandwidth") == 5)
            #expect(lease["isp"] == "BGP")
            #expect(lease["internetChargeType"] == "PayByTraffic")
            #expect(allocationID.hasPrefix("eip-"))
            #expect(LeaseTestKit.isSimulatedPublicIP(address), "\(address)")
            #expect(try await kit.cluster("prod-hz-1", token: token).int("activeLeases") == 1)

            let associated = try await kit.associate(id, token: token, privateIP: "192.168.10.24")
            #expect(associated["phase"] == "InUse")
            #expect(associated["ipAddress"] == address)
            #expect(associated["privateIpAddress"] == "192.168.10.24")
            #expect(associated["networkInterfaceId"]?.hasPrefix("eni-") == true)
            #expect(associated["lastError"] == nil)

            // The agent reads its lease back; the admin sees it too; another cluster does not.
            #expect(try await kit.lease(id, token: token)["phase"] == "InUse")
            #expect(try await kit.lease(id, token: kit.adminToken)["ipAddress"] == address)
            let stranger = try await kit.cluster("prod-hz-2", quota: 10)
            let hidden = try await broker.call(.GET, "/v1/leases/\(id)", token: stranger)
            #expect(hidden.status == 404)
            #expect(hidden["code"] == "NotFound")

            // The keeper tops the warm addresses up again while the first one is leased.
            let refilled = try await kit.waitForPool("web", "the warm address replaced") { $0.int("idle") == 1 && $0.int("leased") == 1 }
            #expect(refilled.int("size") == 2)

            let released = try await kit.release(id, token: token, expecting: "Released")
            #expect(released["phase"] == "Released")
            #expect(try await kit.cluster("prod-hz-1", token: token).int("activeLeases") == 0)

            // Releasing again is a no-op; a released lease cannot be bound again.
            let repeated = try await broker.call(.POST, "/v1/leases/\(id)/release", token: token)
            #expect(repeated.status == 200, "\(repeated.text)")
            #expect(repeated["phase"] == "Released")
            let late = try await broker.call(
                .POST, "/v1/leases/\(id)/associate", token: token, json: TestBroker.json(["privateIpAddress": "192.168.10.24"]))
            #expect(late.status == 409, "\(late.text)")
            #expect(late["code"] == "Conflict")

            // warm.max (3) has room: the address goes back to the pool idle instead of the cloud.
            let back = try await kit.waitForPool("web", "the released address idle again") { $0.int("idle") == 2 }
            #expect(back.int("leased") == 0)
            #expect(back.int("size") == 2)

            // The next pod gets that same address at once, in one database transaction.
            let next = try await kit.allocate(
                token: token,
                ["namespace": "default", "pod": "web-5b8f7c9d4-7hq2m", "podUid": "0f2e8c47-5b1a-4e9d-a3c6-7d8b9e0f1a2b", "pool": "web"],
                wait: nil
            )
            #expect(next.status == 201, "\(next.text)")
            #expect(next["id"] != id)
            #expect(next["phase"] == "Allocated")
            #expect(next["ipAddress"] == address)
            #expect(next["allocationId"] == allocationID)
        }
    }

    @Test(arguments: Backend.allCases)
    func releaseWithoutWarmRoomGivesTheAddressBackToTheCloud(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod-hz-1", quota: 10)
            try await kit.pool(["name": "cold", "maxSize": 5, "warm": ["min": 0, "max": 0], "bandwidth": 10])

            let allocation = try await kit.allocate(
                token: token, ["namespace": "games", "pod": "relay-7", "podUid": "uid-relay-7", "pool": "cold"])
            #expect(allocation.status == 201, "\(allocation.text)")
            let id = try #require(allocation["id"])
            let lease = try await kit.settle(allocation, into: "Allocated", token: token)
            #expect(lease["phase"] == "Allocated")
            let allocationID = try #require(lease["allocationId"])
            let address = try #require(lease["ipAddress"])
            #expect(LeaseTestKit.isSimulatedPublicIP(address), "\(address)")
            #expect(lease.int("bandwidth") == 10)

            let held = try await kit.getPool("cold")
            #expect(held.int("size") == 1)
            #expect(held.int("leased") == 1)
            #expect(held.int("idle") == 0)

            // The cloud holds it, tagged as the broker's.
            let made = try #require(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou"))
            #expect(made.ipAddress == address)
            #expect(made.tags["eip-broker/owner"] == "eip-broker")
            #expect(made.tags["eip-broker/lease"] == id)
            #expect(made.parameters.bandwidth == 10)

            let associated = try await kit.associate(id, token: token, privateIP: "10.1.2.3")
            #expect(associated["phase"] == "InUse")
            let bound = try #require(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou"))
            #expect(bound.status == .inUse)
            #expect(bound.privateIPAddress == "10.1.2.3")
            #expect(bound.instanceID == associated["networkInterfaceId"])

            let released = try await kit.release(id, token: token, expecting: "Released")
            #expect(released["phase"] == "Released")

            // warm.max is 0: the address is released in the cloud and leaves the pool.
            let emptied = try await kit.waitForPool("cold", "the pool to shrink back") { $0.int("size") == 0 }
            #expect(emptied.int("idle") == 0)
            #expect(emptied.int("leased") == 0)
            #expect(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func listFiltersByClusterAndNamespaceAndPagesWithACursor(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let alpha = try await kit.cluster("alpha", quota: 20)
            let beta = try await kit.cluster("beta", quota: 20)
            try await kit.pool(["name": "shared", "maxSize": 20])

            var shop: Set<String> = []
            var blog: Set<String> = []
            var addresses: [String: String] = [:]
            for (namespace, pod) in [("shop", "cart-0"), ("blog", "ghost-0"), ("shop", "cart-1"), ("blog", "ghost-1"), ("shop", "cart-2")] {
                let response = try await kit.allocate(
                    token: alpha, ["namespace": namespace, "pod": pod, "podUid": "uid-\(pod)", "pool": "shared"])
                #expect(response.status == 201, "\(response.text)")
                let lease = try await kit.settle(response, into: "Allocated", token: alpha)
                let id = try #require(lease["id"])
                addresses[id] = lease["ipAddress"]
                if namespace == "shop" { shop.insert(id) } else { blog.insert(id) }
            }
            let other = try await kit.allocate(
                token: beta, ["namespace": "shop", "pod": "cart-0", "podUid": "uid-beta-cart-0", "pool": "shared"])
            #expect(other.status == 201, "\(other.text)")
            let betaID = try #require(other["id"])

            // A cluster token sees its own cluster's leases, page by page.
            let everything = try await kit.listPages(token: alpha, query: "", pageSize: 2)
            #expect(everything.map(\.count) == [2, 2, 1])
            let alphaIDs = everything.flatMap { $0 }
            #expect(alphaIDs.count == 5)
            #expect(Set(alphaIDs) == shop.union(blog))
            #expect(alphaIDs == alphaIDs.sorted(), "a stable order across pages")

            let shopPages = try await kit.listPages(token: alpha, query: "namespace=shop", pageSize: 2)
            #expect(shopPages.map(\.count) == [2, 1])
            #expect(Set(shopPages.flatMap { $0 }) == shop)
            let blogPages = try await kit.listPages(token: alpha, query: "namespace=blog&cluster=alpha", pageSize: 2)
            #expect(blogPages.map(\.count) == [2])
            #expect(Set(blogPages.flatMap { $0 }) == blog)

            // The admin filters by cluster, by namespace across clusters, and by address.
            #expect(try await kit.listPages(token: kit.adminToken, query: "cluster=beta", pageSize: 10) == [[betaID]])
            let shopEverywhere = try await kit.listPages(token: kit.adminToken, query: "namespace=shop", pageSize: 3)
            #expect(Set(shopEverywhere.flatMap { $0 }) == shop.union([betaID]))
            #expect(shopEverywhere.map(\.count) == [3, 1])
            let (someID, someAddress) = try #require(addresses.first)
            #expect(try await kit.listPages(token: kit.adminToken, query: "ipAddress=\(someAddress)", pageSize: 10) == [[someID]])

            // A cluster token cannot look at another cluster, and page tokens are checked.
            let denied = try await broker.call(.GET, "/v1/leases?cluster=beta", token: alpha)
            #expect(denied.status == 403)
            #expect(denied["code"] == "PermissionDenied")
            let malformed = try await broker.call(.GET, "/v1/leases?pageToken=%21%21%21", token: alpha)
            #expect(malformed.status == 400)
            #expect(malformed["code"] == "InvalidArgument")
        }
    }

    @Test(arguments: Backend.allCases)
    func bandwidthPackageHoldsAtMostItsIPs(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod-hz-1", quota: 10)
            let packageID = "cbwp-bp1v7x3k9m2q5z8w4n6t"
            let package = try await broker.call(
                .POST, "/v1/bandwidth-packages", token: kit.adminToken, json: TestBroker.json(["id": packageID, "maxIps": 2]))
            #expect(package.status == 201, "\(package.text)")
            #expect(LeaseTestKit.Object(package.object).int("members") == 0)
            try await kit.pool(["name": "cbwp", "maxSize": 10, "warm": ["min": 0, "max": 0], "bandwidthPackages": [packageID]])

            var leases: [LeaseTestKit.Object] = []
            for pod in ["edge-0", "edge-1"] {
                let response = try await kit.allocate(
                    token: token, ["namespace": "edge", "pod": pod, "podUid": "uid-\(pod)", "pool": "cbwp"])
                #expect(response.status == 201, "\(response.text)")
                let lease = try await kit.settle(response, into: "Allocated", token: token)
                #expect(lease["phase"] == "Allocated")
                #expect(lease["bandwidthPackageId"] == packageID)
                let allocationID = try #require(lease["allocationId"])
                #expect(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou")?.bandwidthPackageID == packageID)
                leases.append(lease)
            }
            #expect(try await kit.bandwidthPackage(packageID).int("members") == 2)

            let refused = try await kit.allocate(
                token: token, ["namespace": "edge", "pod": "edge-2", "podUid": "uid-edge-2", "pool": "cbwp"])
            #expect(refused.status == 429, "\(refused.text)")
            #expect(refused["code"] == "BandwidthPackageFull")
            #expect(refused.headers.first(name: "Retry-After") != nil)
            // The refusal took nothing: no quota, no pool slot.
            #expect(try await kit.cluster("prod-hz-1", token: token).int("activeLeases") == 2)
            #expect(try await kit.getPool("cbwp").int("size") == 2)

            let first = try #require(leases.first?["id"])
            let firstAllocation = try #require(leases.first?["allocationId"])
            let released = try await kit.release(first, token: token, expecting: "Released")
            #expect(released["phase"] == "Released")
            #expect(try await kit.bandwidthPackage(packageID).int("members") == 1)
            #expect(try await cloud.describe(allocationID: firstAllocation, region: "cn-hangzhou") == nil)

            let admitted = try await kit.allocate(
                token: token, ["namespace": "edge", "pod": "edge-2", "podUid": "uid-edge-2", "pool": "cbwp"])
            #expect(admitted.status == 201, "\(admitted.text)")
            let third = try await kit.settle(admitted, into: "Allocated", token: token)
            #expect(third["phase"] == "Allocated")
            #expect(third["bandwidthPackageId"] == packageID)
            #expect(try await kit.bandwidthPackage(packageID).int("members") == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func aWarmPoolInAFullPackageCountsOnlyWhatItHoldsAndCanBeDeletedOnceEmpty(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod", quota: 10)
            for id in ["cbwp-one", "cbwp-theirs"] {
                let package = try await broker.call(
                    .POST, "/v1/bandwidth-packages", token: kit.adminToken, json: TestBroker.json(["id": id, "maxIps": 1]))
                try #require(package.status == 201, "\(package.text)")
            }
            try await kit.pool(["name": "web", "maxSize": 20, "warm": ["min": 3, "max": 5], "bandwidthPackages": ["cbwp-one"]])
            try await kit.pool(["name": "theirs", "maxSize": 5, "bandwidthPackages": ["cbwp-theirs"]])
            let warmed = try await kit.waitForPool("web", "the one address its package holds") { $0.int("idle") == 1 }
            #expect(warmed.int("size") == 1)

            // Up to the package's real capacity, then BandwidthPackageFull; the pool's size stays true.
            let first = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "default", "pod": "web-0", "podUid": "uid-web-0", "pool": "web"]),
                into: "Allocated", token: token)
            let full = try await kit.allocate(token: token, ["namespace": "default", "pod": "web-1", "podUid": "uid-web-1", "pool": "web"])
            #expect(full.status == 429, "\(full.text)")
            #expect(full["code"] == "BandwidthPackageFull")
            let foreign = try await kit.allocate(
                token: token,
                ["namespace": "default", "pod": "web-2", "podUid": "uid-web-2", "pool": "web", "bandwidthPackageId": "cbwp-theirs"]
            )
            #expect(foreign.status == 422, "\(foreign.text)")
            #expect(foreign.text.contains("bandwidthPackageId"))
            let pool = try await kit.getPool("web")
            #expect(pool.int("size") == 1 && pool.int("leased") == 1, "\(pool)")
            #expect(try await kit.bandwidthPackage("cbwp-theirs").int("members") == 0)

            // Emptied (warm minimum 0, the lease released), the pool can be deleted.
            let patched = try await broker.call(.PATCH, "/v1/pools/web", token: kit.adminToken, json: #"{"warm":{"min":0,"max":0}}"#)
            #expect(patched.status == 200, "\(patched.text)")
            _ = try await kit.release(try #require(first["id"]), token: token, expecting: "Released")
            _ = try await kit.waitForPool("web", "empty") { $0.int("size") == 0 }
            let deleted = try await broker.call(.DELETE, "/v1/pools/web", token: kit.adminToken)
            #expect(deleted.status == 204, "\(deleted.text)")
        }
    }
}
