import EIPCloud
import EIPCloudEmulator
import EIPCloudSimulated
import EIPCore
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// Releases that finish whatever happened to the EIP meanwhile: released behind the broker's
/// back, or released by an earlier try whose answer (or whose bookkeeping) was lost. The lease
/// ends `Released` and its pool slot and package seat are free again.
@Suite("Release recovery")
struct ReleaseRecoveryTests {
    static let region = AlibabaBrokerTests.region

    /// A cluster, a one-seat bandwidth package and a pool in it, with no warm room, so a release
    /// goes back to the cloud. - Returns: the cluster's token.
    static func setUp(_ broker: TestBroker, _ kit: LeaseTestKit) async throws -> String {
        let token = try await kit.cluster("alpha", quota: 10, ["vpcIds": ["vpc-sim"]])
        let package = try await broker.call(
            .POST, "/v1/bandwidth-packages", token: broker.adminToken,
            json: TestBroker.json(["id": "cbwp-one", "maxIps": 1, "provider": "aliyun", "region": region])
        )
        try #require(package.status == 201, "\(package.text)")
        try await kit.pool([
            "name": "ali", "provider": "aliyun", "region": region, "maxSize": 3, "warm": ["min": 0, "max": 0],
            "bandwidthPackages": ["cbwp-one"],
        ])
        return token
    }

    /// Allocates a lease for `pod` and waits until it is `Allocated`. - Returns: its id and EIP.
    static func allocate(_ pod: String, _ kit: LeaseTestKit, token: String) async throws -> (lease: String, allocationID: String) {
        let allocated = try await kit.settle(
            try await kit.allocate(token: token, ["namespace": "games", "pod": pod, "podUid": "uid-\(pod)", "pool": "ali"]),
            into: "Allocated", token: token
        )
        try #require(allocated["phase"] == "Allocated", "\(allocated.fields)")
        return (try #require(allocated["id"]), try #require(allocated["allocationId"]))
    }

    @Test(arguments: Backend.allCases)
    func anEIPAlreadyReleasedInTheCloudEndsItsLeaseAndFreesItsSeat(_ backend: Backend) async throws {
        try await AlibabaBrokerTests.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let token = try await Self.setUp(broker, kit)
            let first = try await Self.allocate("relay-0", kit, token: token)
            let cloud = fixture.emulator.cloud
            #expect(try await cloud.peek(allocationID: first.allocationID, region: Self.region)?.bandwidthPackageID == "cbwp-one")

            // Gone from the cloud before the broker releases it (an earlier try whose
            // bookkeeping never committed looks the same).
            try await cloud.leaveBandwidthPackage(allocationID: first.allocationID, bandwidthPackageID: "cbwp-one", region: Self.region)
            try await cloud.release(allocationID: first.allocationID, region: Self.region)

            let released = try await kit.release(first.lease, token: token, expecting: "Released")
            #expect(released["phase"] == "Released", "\(released.fields)")
            #expect(try await kit.bandwidthPackage("cbwp-one").int("members") == 0)
            #expect(try await kit.getPool("ali").int("size") == 0)
            // The seat is free: the next pod gets an EIP in the package.
            let second = try await Self.allocate("relay-1", kit, token: token)
            #expect(try await cloud.peek(allocationID: second.allocationID, region: Self.region)?.bandwidthPackageID == "cbwp-one")
        }
    }

    @Test(arguments: Backend.allCases)
    func lostReleaseAnswersStillEndTheLease(_ backend: Backend) async throws {
        try await AlibabaBrokerTests.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let token = try await Self.setUp(broker, kit)
            let first = try await Self.allocate("relay-0", kit, token: token)
            fixture.emulator.faults.dropResponseNext("RemoveCommonBandwidthPackageIp")
            fixture.emulator.faults.dropResponseNext("ReleaseEipAddress")

            let released = try await kit.release(first.lease, token: token, expecting: "Released")
            #expect(released["phase"] == "Released", "\(released.fields)")
            #expect(try await fixture.emulator.cloud.peek(allocationID: first.allocationID, region: Self.region) == nil)
            #expect(fixture.emulator.faults.settings.dropResponseNext?.isEmpty ?? true)
            #expect(try await kit.bandwidthPackage("cbwp-one").int("members") == 0)
            #expect(try await kit.getPool("ali").int("size") == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func anEIPStillBoundWhenItsLeaseIsReleasedIsUnboundThenReleased(_ backend: Backend) async throws {
        try await AlibabaBrokerTests.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let token = try await Self.setUp(broker, kit)
            let first = try await Self.allocate("relay-0", kit, token: token)
            // Bound though the books say nothing is: a late association by a step whose claim had
            // passed to another replica looks the same.
            let cloud = fixture.emulator.cloud
            let eni = try await cloud.networkInterface(
                privateIPAddress: "10.9.9.9", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            try await cloud.associate(
                allocationID: first.allocationID, networkInterfaceID: eni, privateIPAddress: "10.9.9.9", region: Self.region, force: false)
            #expect(try await cloud.peek(allocationID: first.allocationID, region: Self.region)?.status == .inUse)

            let released = try await kit.release(first.lease, token: token, expecting: "Released")
            #expect(released["phase"] == "Released", "\(released.fields)")
            #expect(try await cloud.peek(allocationID: first.allocationID, region: Self.region) == nil)
            #expect(try await kit.bandwidthPackage("cbwp-one").int("members") == 0)
            #expect(try await DriftRepairTests.actions(broker).contains("drift.association"))
        }
    }
}
