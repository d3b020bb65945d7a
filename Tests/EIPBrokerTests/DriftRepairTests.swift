import EIPBroker
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// The drift pass compares the cloud's broker-tagged EIPs with the books and repairs what
/// drifted behind the broker's back, on both backends, against the simulated cloud (which the
/// tests change directly, as an operator with the console would).
@Suite("Drift repair")
struct DriftRepairTests {
    static func configure(_ configuration: inout BrokerConfiguration) {
        configuration.driftInterval = .milliseconds(100)
        configuration.driftOrphanGrace = .milliseconds(300)
    }

    static func orphan(_ cloud: SimulatedCloud, region: String, token: String, tags: [String: String]) async throws -> CloudEIP {
        // Made as a broker makes a pool's EIPs (a pool that sets nothing asks for ACK's defaults).
        try await cloud.allocate(CloudAllocationRequest(region: region, parameters: .ackDefaults, clientToken: token, tags: tags))
    }

    /// A cluster, a one-address pool with no warm room, and an `Allocated` lease from it.
    static func allocatedLease(_ kit: LeaseTestKit) async throws -> (token: String, region: String, lease: LeaseTestKit.Object) {
        let token = try await kit.cluster("alpha", quota: 10)
        let pool = try await kit.pool(["name": "web", "maxSize": 1, "warm": ["min": 0, "max": 0]])
        let lease = try await kit.settle(
            try await kit.allocate(token: token, ["namespace": "ns", "pod": "web-0", "podUid": "u-0", "pool": "web"]), into: "Allocated",
            token: token)
        return (token, try #require(pool["region"]), lease)
    }

    /// The audit log's actions, as the admin sees them.
    static func actions(_ broker: TestBroker) async throws -> [String] {
        let events = try await broker.call(.GET, "/v1/events?pageSize=1000", token: broker.adminToken)
        return events.items.compactMap { $0["action"] as? String }
    }

    @Test(arguments: Backend.allCases)
    func orphansAreAdoptedIntoTheirPoolOrReleasedAndUntaggedEIPsAreLeftAlone(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend, configure: Self.configure) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("alpha", quota: 10)
            let pool = try await kit.pool(["name": "web", "maxSize": 5, "warm": ["min": 0, "max": 5]])
            let region = try #require(pool["region"])
            let adoptable = try await Self.orphan(
                cloud, region: region, token: "orphan-web", tags: ["eip-broker/owner": "eip-broker", "eip-broker/pool": "web"])
            let homeless = try await Self.orphan(
                cloud, region: region, token: "orphan-gone", tags: ["eip-broker/owner": "eip-broker", "eip-broker/pool": "gone"])
            let foreign = try await Self.orphan(cloud, region: region, token: "not-ours", tags: ["team": "games"])

            let adopted = try await kit.waitForPool("web", "the orphan adopted as idle") { $0.int("idle") == 1 }
            #expect(adopted.int("size") == 1)
            _ = try await LeaseTestKit.poll("the homeless orphan released") {
                ((), try await cloud.peek(allocationID: homeless.allocationID, region: region) == nil)
            }
            #expect(try await cloud.peek(allocationID: homeless.allocationID, region: region) == nil)
            #expect(try await cloud.peek(allocationID: foreign.allocationID, region: region) != nil, "an untagged EIP is never touched")
            let actions = try await Self.actions(broker)
            #expect(actions.contains("drift.orphan.adopted"))
            #expect(actions.contains("drift.orphan.released"))

            // The adopted EIP serves the next pod.
            let lease = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "ns", "pod": "web-0", "podUid": "u-0", "pool": "web"]),
                into: "Allocated", token: token)
            #expect(lease["allocationId"] == adoptable.allocationID)
            #expect(lease["ipAddress"] == adoptable.ipAddress)
        }
    }

    @Test(arguments: Backend.allCases)
    func aLostAddressFailsItsLeaseWithTheReasonAndFreesItsSlot(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend, configure: Self.configure) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let (token, region, lease) = try await Self.allocatedLease(kit)
            let id = try #require(lease["id"])
            try await cloud.release(allocationID: try #require(lease["allocationId"]), region: region)

            let failed = try await kit.waitForLease(id, token: token, "failed as lost") { $0["phase"] == "Failed" }
            #expect(failed["phase"] == "Failed")
            #expect(failed["lastError"]?.contains("no longer exists in the cloud") == true, "\(failed)")
            #expect(try await kit.getPool("web").int("size") == 0)
            #expect(try await Self.actions(broker).contains("drift.address.lost"))
            // The slot is free again.
            let next = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "ns", "pod": "web-1", "podUid": "u-1", "pool": "web"]),
                into: "Allocated", token: token)
            #expect(next["phase"] == "Allocated")
        }
    }

    @Test(arguments: Backend.allCases)
    func anAssociationUndoneBehindTheBrokersBackIsBoundAgain(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend, configure: Self.configure) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let (token, region, lease) = try await Self.allocatedLease(kit)
            let id = try #require(lease["id"])
            let allocationID = try #require(lease["allocationId"])
            let inUse = try await kit.associate(id, token: token, privateIP: "10.1.2.3")
            let eni = try #require(inUse["networkInterfaceId"])
            try await cloud.unassociate(allocationID: allocationID, region: region)

            _ = try await LeaseTestKit.poll("the drift reported") { ((), try await Self.actions(broker).contains("drift.association")) }
            let bound = try await LeaseTestKit.poll("the EIP bound again") {
                let eip = try await cloud.peek(allocationID: allocationID, region: region)
                return (eip, eip?.status == .inUse && eip?.instanceID == eni)
            }
            #expect(bound?.instanceID == eni)
            let again = try await kit.waitForLease(id, token: token, "InUse again") { $0["phase"] == "InUse" }
            #expect(again["networkInterfaceId"] == eni)
        }
    }

    @Test(arguments: Backend.allCases)
    func aWarmAddressHandedToALeaseIsRetaggedForIt(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend, configure: Self.configure) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("alpha", quota: 10)
            let pool = try await kit.pool(["name": "web", "maxSize": 2, "warm": ["min": 1, "max": 1]])
            let region = try #require(pool["region"])
            _ = try await kit.waitForPool("web", "a warm address") { $0.int("idle") == 1 }
            let lease = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "ns", "pod": "web-0", "podUid": "u-0", "pool": "web"]),
                into: "Allocated", token: token)
            let id = try #require(lease["id"])
            let allocationID = try #require(lease["allocationId"])
            let retagged = try await LeaseTestKit.poll("the warm EIP retagged for its lease") {
                let eip = try await cloud.peek(allocationID: allocationID, region: region)
                return (eip?.tags ?? [:], eip?.tags["eip-broker/lease"] == id)
            }
            #expect(retagged["eip-broker/lease"] == id)
            #expect(retagged["eip-broker/pod"] == "web-0")
            #expect(retagged["eip-broker/namespace"] == "ns")
            #expect(retagged["eip-broker/cluster"] == "alpha")
            #expect(retagged["eip-broker/owner"] == "eip-broker")
            #expect(try await Self.actions(broker).contains("drift.retagged"))
        }
    }
}
