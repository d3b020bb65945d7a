import EIPBroker
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// Release strategies over the real socket: StatefulSet stickiness (a TTL or `Never` lease keeps
/// its address for the next pod of the same name), TTL expiry, forced release, `Follow` leases of
/// replaced pods, and the heartbeat that applies the strategy to pods that are gone.
@Suite("Release strategies and retention")
struct RetentionTests {
    @Test(arguments: Backend.allCases)
    func ttlLeaseIsKeptAndHandedToTheNextPodOfTheSameName(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("games", quota: 10)
            try await kit.pool(["name": "relay", "maxSize": 5])

            let first = try await kit.allocate(
                token: token,
                ["namespace": "games", "pod": "relay-0", "podUid": "uid-relay-0-a", "pool": "relay", "releaseStrategy": "10m"])
            #expect(first.status == 201, "\(first.text)")
            let allocated = try await kit.settle(first, into: "Allocated", token: token)
            let id = try #require(allocated["id"])
            let address = try #require(allocated["ipAddress"])
            let allocationID = try #require(allocated["allocationId"])
            #expect(allocated["releaseStrategy"] == "TTL")
            #expect(allocated["releaseAfter"] == "10m0s")

            let inUse = try await kit.associate(id, token: token, privateIP: "172.16.0.10")
            #expect(inUse["phase"] == "InUse")

            // The pod goes; the agent releases the lease, which keeps its address, unbound.
            let retained = try await kit.release(id, token: token, expecting: "Allocated")
            #expect(retained["phase"] == "Allocated")
            #expect(retained["ipAddress"] == address)
            #expect(retained["allocationId"] == allocationID)
            #expect(retained["releaseStrategy"] == "TTL")
            #expect(retained["releaseAfter"] == "10m0s")
            #expect(retained["networkInterfaceId"] == nil)
            let unbound = try #require(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou"))
            #expect(unbound.status == .available)
            #expect(try await kit.getPool("relay").int("leased") == 1)
            #expect(try await kit.cluster("games", token: token).int("activeLeases") == 1)

            // The StatefulSet re-creates relay-0 (a new UID): it gets the same lease and address.
            let again = try await kit.allocate(
                token: token,
                ["namespace": "games", "pod": "relay-0", "podUid": "uid-relay-0-b", "pool": "relay", "releaseStrategy": "10m"])
            #expect(again.status == 200, "\(again.text)")
            #expect(again["id"] == id)
            #expect(again["ipAddress"] == address)
            #expect(again["allocationId"] == allocationID)
            #expect(again["podUid"] == "uid-relay-0-b")
            #expect(again["phase"] == "Allocated")

            let rebound = try await kit.associate(id, token: token, privateIP: "172.16.0.11")
            #expect(rebound["phase"] == "InUse")
            #expect(rebound["ipAddress"] == address)
            #expect(rebound["privateIpAddress"] == "172.16.0.11")
            #expect(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou")?.privateIPAddress == "172.16.0.11")
            #expect(try await kit.cluster("games", token: token).int("activeLeases") == 1)
            #expect(try await kit.getPool("relay").int("size") == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func ttlRunsOutWithoutANewPodAndTheAddressGoesBack(_ backend: Backend) async throws {
        // The broker's books run on a clock the test moves: the hour of the TTL passes in a step.
        let clock = ManualClock()
        let wall = clock.wallClock()
        try await LeaseTestKit.withBrokerAndCloud(backend, clock: wall) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("games", quota: 10)
            try await kit.pool(["name": "relay", "maxSize": 5])

            let response = try await kit.allocate(
                token: token, ["namespace": "games", "pod": "relay-1", "podUid": "uid-relay-1", "pool": "relay", "releaseStrategy": "1h"])
            let allocated = try await kit.settle(response, into: "Allocated", token: token)
            let id = try #require(allocated["id"])
            let allocationID = try #require(allocated["allocationId"])
            #expect(allocated["releaseAfter"] == "1h0m0s")
            #expect(try await kit.associate(id, token: token, privateIP: "172.16.0.20")["phase"] == "InUse")

            let askedAt = wall.now()
            let release = try await broker.call(.POST, "/v1/leases/\(id)/release", token: token)
            #expect(release.status == 200, "\(release.text)")
            #expect(release["phase"] != "Released", "a TTL lease is not released at once")
            #expect(release.object["retained"] as? Bool == true, "\(release.text)")
            let releaseAt = try #require((release.object["releaseAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            #expect(abs(releaseAt.timeIntervalSince(askedAt) - 3600) < 2, "releaseAt \(releaseAt) is not an hour after \(askedAt)")
            clock.advance(by: .seconds(3601))

            let expired = try await kit.waitForLease(id, token: token, "the TTL to run out") {
                $0["phase"] == "Released" || $0["phase"] == "Failed"
            }
            #expect(expired["phase"] == "Released")
            let emptied = try await kit.waitForPool("relay", "the address released in the cloud") { $0.int("size") == 0 }
            #expect(emptied.int("leased") == 0)
            #expect(try await cloud.describe(allocationID: allocationID, region: "cn-hangzhou") == nil)
            #expect(try await kit.cluster("games", token: token).int("activeLeases") == 0)

            // The audit trail shows the lease retained first, then released when the TTL ran out.
            let events = try await broker.call(.GET, "/v1/events?subjectId=\(id)", token: token)
            let actions = events.items.compactMap { $0["action"] as? String }
            let retainedAt = try #require(actions.firstIndex(of: "lease.retain"), "\(actions)")
            let releasedAt = try #require(actions.lastIndex(of: "lease.release"), "\(actions)")
            #expect(retainedAt < releasedAt)
        }
    }

    @Test(arguments: Backend.allCases)
    func neverIsKeptUntilAForcedRelease(_ backend: Backend) async throws {
        let clock = ManualClock()
        try await TestBroker.with(backend, clock: clock.wallClock()) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("data", quota: 10)
            try await kit.pool(["name": "db", "maxSize": 5])

            let response = try await kit.allocate(
                token: token, ["namespace": "data", "pod": "pg-0", "podUid": "uid-pg-0", "pool": "db", "releaseStrategy": "Never"])
            let allocated = try await kit.settle(response, into: "Allocated", token: token)
            let id = try #require(allocated["id"])
            let address = try #require(allocated["ipAddress"])
            #expect(allocated["releaseStrategy"] == "Never")
            #expect(allocated["releaseAfter"] == nil)
            #expect(try await kit.associate(id, token: token, privateIP: "172.16.1.10")["phase"] == "InUse")

            let kept = try await kit.release(id, token: token, expecting: "Allocated")
            #expect(kept["phase"] == "Allocated")
            #expect(kept["ipAddress"] == address)

            // A year passes the way the broker sees it: a 1h TTL lease, released alongside, runs
            // out (so the keeper has run its expiry pass) while the Never lease stays.
            let ttl = try await kit.allocate(
                token: token, ["namespace": "data", "pod": "cache-0", "podUid": "uid-cache-0", "pool": "db", "releaseStrategy": "1h"])
            let ttlID = try #require(try await kit.settle(ttl, into: "Allocated", token: token)["id"])
            let ttlRelease = try await broker.call(.POST, "/v1/leases/\(ttlID)/release", token: token)
            #expect(ttlRelease.status == 200, "\(ttlRelease.text)")
            clock.advance(by: .seconds(365 * 86_400))
            let gone = try await kit.waitForLease(ttlID, token: token, "the 1h TTL to run out") {
                $0["phase"] == "Released" || $0["phase"] == "Failed"
            }
            #expect(gone["phase"] == "Released")

            // A heartbeat without the pod leaves a retained lease alone.
            let heartbeat = try await broker.call(
                .POST, "/v1/heartbeats", token: token, json: TestBroker.json(["pods": [[String: String]]()]))
            #expect(heartbeat.status == 200, "\(heartbeat.text)")
            #expect((heartbeat.object["released"] as? [String])?.contains(id) == false)

            let still = try await kit.lease(id, token: token)
            #expect(still["phase"] == "Allocated")
            #expect(still["ipAddress"] == address)

            // A second release without force changes nothing; with force the lease ends.
            let repeated = try await kit.release(id, token: token, expecting: "Allocated")
            #expect(repeated["phase"] == "Allocated")
            #expect(repeated["ipAddress"] == address)
            let forced = try await kit.release(id, token: token, force: true, expecting: "Released")
            #expect(forced["phase"] == "Released")
            #expect(try await kit.cluster("data", token: token).int("activeLeases") == 0)
            let emptied = try await kit.waitForPool("db", "the pool to give both addresses back") { $0.int("size") == 0 }
            #expect(emptied.int("leased") == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func followLeaseOfAReplacedPodEndsAndTheNewPodGetsANewLease(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("web", quota: 10)
            try await kit.pool(["name": "web", "maxSize": 5])

            let first = try await kit.allocate(token: token, ["namespace": "web", "pod": "web-0", "podUid": "uid-web-0-a", "pool": "web"])
            let old = try await kit.settle(first, into: "Allocated", token: token)
            let oldID = try #require(old["id"])
            let oldAddress = try #require(old["ipAddress"])
            #expect(try await kit.associate(oldID, token: token, privateIP: "172.16.2.10")["phase"] == "InUse")

            // The pod was re-created before the agent released the old one: a new UID, Follow.
            let second = try await kit.allocate(token: token, ["namespace": "web", "pod": "web-0", "podUid": "uid-web-0-b", "pool": "web"])
            #expect(second.status == 201, "\(second.text)")
            let fresh = try await kit.settle(second, into: "Allocated", token: token)
            let newID = try #require(fresh["id"])
            #expect(newID != oldID)
            #expect(fresh["podUid"] == "uid-web-0-b")
            #expect(fresh["phase"] == "Allocated")
            #expect(fresh["ipAddress"] != oldAddress)

            // The old lease follows its pod out, and gives its quota and address back.
            let ended = try await kit.waitForLease(oldID, token: token, "the replaced pod's lease to be released") {
                $0["phase"] == "Released" || $0["phase"] == "Failed"
            }
            #expect(ended["phase"] == "Released")
            #expect(try await kit.cluster("web", token: token).int("activeLeases") == 1)
            let pool = try await kit.waitForPool("web", "only the new lease's address left") { $0.int("size") == 1 }
            #expect(pool.int("leased") == 1)

            let inUse = try await kit.associate(newID, token: token, privateIP: "172.16.2.11")
            #expect(inUse["phase"] == "InUse")
            let active = try await kit.listPages(token: token, query: "namespace=web&phase=InUse", pageSize: 10)
            #expect(active == [[newID]])
        }
    }

    @Test(arguments: Backend.allCases)
    func heartbeatAppliesTheStrategyToPodsThatAreGone(_ backend: Backend) async throws {
        try await TestBroker.with(backend) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod", quota: 10)
            try await kit.pool(["name": "web", "maxSize": 10])

            var ids: [String: String] = [:]
            for (pod, strategy, privateIP) in [
                ("api-0", "Follow", "10.9.0.1"), ("api-1", "Follow", "10.9.0.2"), ("relay-0", "10m", "10.9.0.3"),
            ] {
                let response = try await kit.allocate(
                    token: token, ["namespace": "prod", "pod": pod, "podUid": "uid-\(pod)", "pool": "web", "releaseStrategy": strategy])
                let lease = try await kit.settle(response, into: "Allocated", token: token)
                let id = try #require(lease["id"])
                #expect(try await kit.associate(id, token: token, privateIP: privateIP)["phase"] == "InUse")
                ids[pod] = id
            }
            let api0 = try #require(ids["api-0"])
            let api1 = try #require(ids["api-1"])
            let relay0 = try #require(ids["relay-0"])
            let firstSeen = try #require(try await kit.lease(api0, token: token)["podLastSeen"])
            let live = TestBroker.json(["pods": [["namespace": "prod", "pod": "api-0", "podUid": "uid-api-0"]]])

            let beat = try await broker.call(.POST, "/v1/heartbeats", token: token, json: live)
            #expect(beat.status == 200, "\(beat.text)")
            #expect(beat["cluster"] == "prod")
            #expect(LeaseTestKit.int(beat.object["seen"]) == 1)
            #expect(beat.object["released"] as? [String] == [api1])
            #expect(beat.object["retained"] as? [String] == [relay0])

            // api-1 (Follow) is released; relay-0 (TTL) keeps its address, unbound.
            let released = try await kit.waitForLease(api1, token: token, "released after the heartbeat") {
                $0["phase"] == "Released" || $0["phase"] == "Failed"
            }
            #expect(released["phase"] == "Released")
            let retained = try await kit.waitForLease(relay0, token: token, "retained after the heartbeat") {
                $0["phase"] == "Allocated" || $0["phase"] == "Failed"
            }
            #expect(retained["phase"] == "Allocated")
            #expect(retained["ipAddress"] != nil)

            // api-0 is untouched, and further heartbeats refresh its podLastSeen.
            let refreshed = try await LeaseTestKit.poll("podLastSeen of api-0 refreshed by heartbeats") {
                let again = try await broker.call(.POST, "/v1/heartbeats", token: token, json: live)
                #expect(again.status == 200, "\(again.text)")
                #expect(LeaseTestKit.int(again.object["seen"]) == 1)
                #expect((again.object["released"] as? [String])?.isEmpty == true)
                #expect((again.object["retained"] as? [String])?.isEmpty == true)
                let lease = try await kit.lease(api0, token: token)
                return (lease, lease["podLastSeen"] != firstSeen)
            }
            #expect(refreshed["phase"] == "InUse")
            #expect(refreshed["lastError"] == nil)
            let seenAt = try #require(refreshed["podLastSeen"].flatMap { try? Date($0, strategy: .iso8601) })
            let firstAt = try #require(try? Date(firstSeen, strategy: .iso8601))
            #expect(seenAt > firstAt)
            #expect(try await kit.cluster("prod", token: token)["lastHeartbeat"] != nil)

            // A pod matches only with its UID: the same name with another UID is a different pod.
            let replaced = try await broker.call(
                .POST, "/v1/heartbeats", token: token,
                json: TestBroker.json(["pods": [["namespace": "prod", "pod": "api-0", "podUid": "uid-api-0-new"]]])
            )
            #expect(replaced.status == 200, "\(replaced.text)")
            #expect(LeaseTestKit.int(replaced.object["seen"]) == 0)
            #expect(replaced.object["released"] as? [String] == [api0])
            let gone = try await kit.waitForLease(api0, token: token, "released after its UID vanished") {
                $0["phase"] == "Released" || $0["phase"] == "Failed"
            }
            #expect(gone["phase"] == "Released")
            #expect(try await kit.cluster("prod", token: token).int("activeLeases") == 1)
        }
    }

    /// An agent that stops reporting never causes a release: its cluster is reported silent
    /// once (an event, `silent` on the cluster) and keeps every lease, and its next heartbeat
    /// ends the silence. Retained leases say so, with their release time.
    @Test(arguments: Backend.allCases)
    func aSilentClusterKeepsItsLeasesAndIsReportedOnce(_ backend: Backend) async throws {
        // Silence is measured on the books' clock, which only the test moves.
        let clock = ManualClock()
        try await TestBroker.with(backend, clock: clock.wallClock(), configure: { $0.silentClusterAfter = .seconds(300) }) { broker in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod", quota: 10)
            try await kit.pool(["name": "web", "maxSize": 10])
            var ids: [String] = []
            for (pod, strategy) in [("api-0", "Follow"), ("relay-0", "Never"), ("relay-1", "10m")] {
                let lease = try await kit.settle(
                    try await kit.allocate(
                        token: token, ["namespace": "prod", "pod": pod, "podUid": "uid-\(pod)", "pool": "web", "releaseStrategy": strategy]),
                    into: "Allocated", token: token
                )
                ids.append(try #require(lease["id"]))
            }
            // The agent reports api-0 only: the two retained leases are kept for their pods.
            let live = TestBroker.json(["pods": [["namespace": "prod", "pod": "api-0", "podUid": "uid-api-0"]]])
            let beat = try await broker.call(.POST, "/v1/heartbeats", token: token, json: live)
            #expect(beat.status == 200, "\(beat.text)")
            let never = try await kit.lease(ids[1], token: token)
            #expect(never.fields["retained"] as? Bool == true, "\(never)")
            #expect(never["releaseAt"] == nil)
            let ttl = try await kit.lease(ids[2], token: token)
            #expect(ttl.fields["retained"] as? Bool == true, "\(ttl)")
            #expect(ttl["releaseAt"] != nil, "\(ttl)")
            #expect(try await kit.lease(ids[0], token: token).fields["retained"] as? Bool == false)

            // Then the agent goes quiet for longer than 300 s.
            #expect(try await kit.cluster("prod", token: kit.adminToken).fields["silent"] as? Bool == false)
            clock.advance(by: .seconds(301))
            let silent = try await LeaseTestKit.poll("the cluster reported silent") {
                let cluster = try await kit.cluster("prod", token: kit.adminToken)
                return (cluster, cluster.fields["silent"] as? Bool == true)
            }
            #expect(silent["silentSince"] != nil, "\(silent)")
            #expect(silent.int("activeLeases") == 3)
            for id in ids {
                #expect(try await kit.lease(id, token: token)["phase"] == "Allocated", "lease \(id) is kept")
            }
            let events = try await broker.call(.GET, "/v1/events?pageSize=1000", token: token)
            let actions = events.items.compactMap { $0["action"] as? String }
            #expect(actions.filter { $0 == "cluster.silent" }.count == 1, "\(actions)")

            let again = try await broker.call(.POST, "/v1/heartbeats", token: token, json: live)
            #expect(again.status == 200, "\(again.text)")
            // The silence it ended is gone, and no new one begins while the clock stands still.
            let heard = try await kit.cluster("prod", token: token)
            #expect(heard["silentSince"] == nil, "\(heard)")
            #expect(heard.fields["silent"] as? Bool == false, "\(heard)")
            let after = try await broker.call(.GET, "/v1/events?pageSize=1000", token: token)
            #expect(after.items.contains { $0["action"] as? String == "cluster.heard" })
        }
    }
}
