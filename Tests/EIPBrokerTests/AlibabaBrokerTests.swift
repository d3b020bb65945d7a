import EIPBroker
import EIPCloud
import EIPCloudEmulator
import EIPCloudSimulated
import EIPCore
import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// The broker with an Alibaba Cloud account pointed at the emulator: the same walkthrough as on
/// the simulated cloud, through signed OpenAPI calls over HTTP.
@Suite("Broker on Alibaba Cloud (emulated)")
struct AlibabaBrokerTests {
    static let region = "cn-hangzhou"

    /// Starts the emulator and a broker whose only account, `aliyun`, points at it.
    static func withBroker<Result: Sendable>(
        _ backend: Backend, emulator configureEmulator: (inout EmulatorConfiguration) -> Void = { _ in },
        _ body: (TestBroker, AlibabaEmulatorFixture) async throws -> Result
    ) async throws -> Result {
        try await AlibabaEmulatorFixture.with(configure: configureEmulator) { fixture in
            try await fixture.withBroker(backend) { broker in try await body(broker, fixture) }
        }
    }

    @Test(arguments: Backend.allCases)
    func walkthroughWithABandwidthPackageAndAStaticEIP(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let cloud = fixture.emulator.cloud
            let token = try await kit.cluster("alpha", quota: 10, ["vpcIds": ["vpc-sim"]])
            let package = try await broker.call(
                .POST, "/v1/bandwidth-packages", token: broker.adminToken,
                json: TestBroker.json(["id": "cbwp-emu1", "maxIps": 5, "provider": "aliyun", "region": Self.region])
            )
            try #require(package.status == 201, "\(package.text)")
            try await kit.pool([
                "name": "ali", "provider": "aliyun", "region": Self.region, "maxSize": 5, "warm": ["min": 0, "max": 0],
                "bandwidth": 10, "internetChargeType": "PayByTraffic", "bandwidthPackages": ["cbwp-emu1"],
            ])

            // Allocate and associate: the EIP is made, tagged, put in the package and bound.
            let allocated = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "games", "pod": "relay-0", "podUid": "u-1", "pool": "ali"]),
                into: "Allocated", token: token
            )
            let leaseID = try #require(allocated["id"])
            let allocationID = try #require(allocated["allocationId"])
            let inUse = try await kit.associate(leaseID, token: token, privateIP: "192.168.7.20")
            #expect(inUse["phase"] == "InUse")
            #expect(inUse["networkInterfaceId"]?.hasPrefix("eni-") == true)
            let bound = try #require(try await cloud.peek(allocationID: allocationID, region: Self.region))
            #expect(bound.status == .inUse)
            #expect(bound.privateIPAddress == "192.168.7.20")
            #expect(bound.bandwidthPackageID == "cbwp-emu1")
            #expect(bound.parameters.bandwidth == 10)
            #expect(bound.tags["eip-broker/lease"] == leaseID)
            #expect(bound.tags["eip-broker/cluster"] == "alpha")
            #expect(try await kit.bandwidthPackage("cbwp-emu1").int("members") == 1)

            // Release (Follow, no warm room): out of the package, released in the cloud.
            let released = try await kit.release(leaseID, token: token, expecting: "Released")
            #expect(released["phase"] == "Released")
            #expect(try await cloud.peek(allocationID: allocationID, region: Self.region) == nil)
            #expect(try await kit.bandwidthPackage("cbwp-emu1").int("members") == 0)

            // A static EIP: bound and unbound, never released.
            let mine = try await cloud.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(bandwidth: 3), clientToken: "static-1", tags: [:])
            )
            let staticLease = try await kit.settle(
                try await kit.allocate(
                    token: token, ["namespace": "games", "pod": "relay-1", "podUid": "u-2", "eipInstanceId": mine.allocationID]),
                into: "Allocated", token: token
            )
            #expect(staticLease["ipAddress"] == mine.ipAddress)
            let staticID = try #require(staticLease["id"])
            #expect(try await kit.associate(staticID, token: token, privateIP: "192.168.7.21")["phase"] == "InUse")
            #expect(try await cloud.peek(allocationID: mine.allocationID, region: Self.region)?.status == .inUse)
            let second = try await kit.allocate(
                token: token, ["namespace": "games", "pod": "relay-2", "podUid": "u-3", "eipInstanceId": mine.allocationID])
            #expect(second.status == 409)
            #expect(second["code"] == "AddressInUse")
            #expect(try await kit.release(staticID, token: token, expecting: "Released")["phase"] == "Released")
            let kept = try #require(try await cloud.peek(allocationID: mine.allocationID, region: Self.region))
            #expect(kept.status == .available)
            #expect(kept.instanceID == nil)

            // The emulator's key never reaches the broker's logs.
            #expect(!broker.logs.text.contains(fixture.emulator.configuration.accessKeySecret))
        }
    }

    /// No charge type anywhere, neither on the pod nor on the pool: the cloud is asked for what
    /// ACK asks, PayByTraffic at 5 Mbps (Alibaba's own default would be PayByBandwidth). PrePaid
    /// is refused before anything is allocated, naming the field and what to do instead.
    @Test(arguments: Backend.allCases)
    func aPoolThatSetsNoMeteringAllocatesAsACKDoes(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("alpha", quota: 10, ["vpcIds": ["vpc-sim"]])
            let pool = try await kit.pool([
                "name": "plain", "provider": "aliyun", "region": Self.region, "maxSize": 5, "warm": ["min": 0, "max": 0],
            ])
            #expect(pool.int("bandwidth") == 5)
            #expect(pool["internetChargeType"] == "PayByTraffic")
            let allocated = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "games", "pod": "plain-0", "podUid": "u-1", "pool": "plain"]),
                into: "Allocated", token: token
            )
            #expect(allocated["internetChargeType"] == "PayByTraffic")
            let allocationID = try #require(allocated["allocationId"])
            let eip = try #require(try await fixture.emulator.cloud.peek(allocationID: allocationID, region: Self.region))
            #expect(eip.parameters.internetChargeType == "PayByTraffic")
            #expect(eip.parameters.bandwidth == 5)
            // The lease shows what the cloud reports of its EIP, not only what was asked: the
            // line, the billing and the resource group the account put it in.
            let resourceGroup = try #require(eip.parameters.resourceGroupId)
            #expect(resourceGroup.hasPrefix("rg-"))
            #expect(allocated["resourceGroupId"] == resourceGroup)
            #expect(allocated["isp"] == "BGP")
            #expect(allocated["instanceChargeType"] == "PostPaid")

            let prePaid = try await kit.allocate(
                token: token, ["namespace": "games", "pod": "plain-1", "podUid": "u-2", "pool": "plain", "instanceChargeType": "PrePaid"])
            #expect(prePaid.status == 422, "\(prePaid.text)")
            let violations = prePaid.object["errors"] as? [[String: Any]] ?? []
            #expect(violations.first?["field"] as? String == "instanceChargeType", "\(prePaid.text)")
            #expect((violations.first?["rule"] as? String)?.contains("PricingCycle and Period") == true, "\(prePaid.text)")
            #expect(fixture.emulator.stats.requests(of: "AllocateEipAddress") == 1)
        }
    }

    /// A pod may name a package nobody registered, as on ACK: the broker finds it in the
    /// account, registers it with the room the cloud leaves and joins it. One the account does
    /// not have is refused with the cloud's answer, and nothing is allocated for it.
    @Test(arguments: Backend.allCases)
    func anUnregisteredBandwidthPackageIsLookedUpInTheAccount(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let cloud = fixture.emulator.cloud
            let token = try await kit.cluster("alpha", quota: 10, ["vpcIds": ["vpc-sim"]])
            try await kit.pool(["name": "plain", "provider": "aliyun", "region": Self.region, "maxSize": 5, "warm": ["min": 0, "max": 0]])
            // The account's package already holds one EIP the broker does not own.
            try await cloud.createBandwidthPackage(id: "cbwp-found1", region: Self.region)
            let foreign = try await cloud.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "foreign-1", tags: [:]))
            try await cloud.joinBandwidthPackage(allocationID: foreign.allocationID, bandwidthPackageID: "cbwp-found1", region: Self.region)

            let allocated = try await kit.settle(
                try await kit.allocate(
                    token: token,
                    ["namespace": "games", "pod": "relay-0", "podUid": "u-1", "pool": "plain", "bandwidthPackageId": "cbwp-found1"]),
                into: "Allocated", token: token)
            #expect(allocated["bandwidthPackageId"] == "cbwp-found1")
            let eip = try #require(try await cloud.peek(allocationID: allocated["allocationId"] ?? "", region: Self.region))
            #expect(eip.bandwidthPackageID == "cbwp-found1")
            let package = try await kit.bandwidthPackage("cbwp-found1")
            #expect(package["discoveredFor"] == "plain")
            #expect(package.int("maxIps") == 99)
            #expect(package.int("members") == 1)
            #expect(fixture.emulator.stats.requests(of: "DescribeCommonBandwidthPackages") == 1)

            // Registered now: the next pod naming it needs no lookup.
            let second = try await kit.allocate(
                token: token,
                ["namespace": "games", "pod": "relay-1", "podUid": "u-2", "pool": "plain", "bandwidthPackageId": "cbwp-found1"])
            _ = try await kit.settle(second, into: "Allocated", token: token)
            #expect(fixture.emulator.stats.requests(of: "DescribeCommonBandwidthPackages") == 1)

            // Found for pool plain, it is plain's: a pod of another pool may not name it.
            try await kit.pool(["name": "other", "provider": "aliyun", "region": Self.region, "maxSize": 5, "warm": ["min": 0, "max": 0]])
            let foreignPool = try await kit.allocate(
                token: token,
                ["namespace": "games", "pod": "relay-9", "podUid": "u-9", "pool": "other", "bandwidthPackageId": "cbwp-found1"])
            #expect(foreignPool.status == 422, "\(foreignPool.text)")
            #expect(fixture.emulator.stats.requests(of: "DescribeCommonBandwidthPackages") == 1)

            // A package an admin registered for other pools is theirs: no lookup, no join.
            let reserved = try await broker.call(
                .POST, "/v1/bandwidth-packages", token: broker.adminToken,
                json: TestBroker.json(["id": "cbwp-admin1", "maxIps": 5, "provider": "aliyun", "region": Self.region]))
            try #require(reserved.status == 201, "\(reserved.text)")
            let taken = try await kit.allocate(
                token: token,
                ["namespace": "games", "pod": "relay-3", "podUid": "u-4", "pool": "plain", "bandwidthPackageId": "cbwp-admin1"])
            #expect(taken.status == 422, "\(taken.text)")
            #expect(taken.text.contains("must be one of the bandwidth packages of pool 'plain'"), "\(taken.text)")
            #expect(fixture.emulator.stats.requests(of: "DescribeCommonBandwidthPackages") == 1)

            let allocations = fixture.emulator.stats.requests(of: "AllocateEipAddress")
            let missing = try await kit.allocate(
                token: token,
                ["namespace": "games", "pod": "relay-2", "podUid": "u-3", "pool": "plain", "bandwidthPackageId": "cbwp-nowhere"])
            #expect(missing.status == 422, "\(missing.text)")
            let violation = (missing.object["errors"] as? [[String: Any]])?.first
            #expect(violation?["field"] as? String == "bandwidthPackageId", "\(missing.text)")
            #expect((violation?["rule"] as? String)?.contains("InvalidBandwidthPackageId.NotFound") == true, "\(missing.text)")
            let unknown = try await broker.call(.GET, "/v1/bandwidth-packages/cbwp-nowhere", token: broker.adminToken)
            #expect(unknown.status == 404)
            #expect(fixture.emulator.stats.requests(of: "AllocateEipAddress") == allocations)
        }
    }

    /// A lease whose association the cloud throttles says so while the provider retries: its
    /// `lastError` names the refusal and the next try, and clears once the association is made.
    @Test(arguments: Backend.allCases)
    func aThrottledAssociationShowsWhyAndWhenItIsTriedNext(_ backend: Backend) async throws {
        try await Self.withBroker(backend) { broker, fixture in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("alpha", quota: 10, ["vpcIds": ["vpc-sim"]])
            try await kit.pool(["name": "ali", "provider": "aliyun", "region": Self.region, "maxSize": 5, "warm": ["min": 0, "max": 0]])
            let allocated = try await kit.settle(
                try await kit.allocate(token: token, ["namespace": "games", "pod": "relay-0", "podUid": "u-0", "pool": "ali"]),
                into: "Allocated", token: token)
            let id = try #require(allocated["id"])
            // Four refusals, each asking for a second's pause: the provider retries within the step.
            fixture.emulator.cloudFaults.failNext(.associate, count: 4, with: SimulatedCloud.Faults.throttling)

            let accepted = try await broker.call(
                .POST, "/v1/leases/\(id)/associate", token: token, json: TestBroker.json(["privateIpAddress": "192.168.7.21"]))
            try #require(accepted.status == 200, "\(accepted.text)")
            let throttled = try await kit.waitForLease(id, token: token, "a lastError saying it is throttled") {
                ($0["lastError"] ?? "").contains("CloudThrottled")
            }
            let lastError = throttled["lastError"] ?? ""
            #expect(throttled["phase"] == "Associating", "\(throttled)")
            #expect(lastError.contains("AssociateEipAddress failed (Throttling.User"), "\(lastError)")
            #expect(lastError.contains("next try at"), "\(lastError)")

            let inUse = try await LeaseTestKit.poll("lease \(id) InUse") {
                let lease = try await kit.lease(id, token: token)
                return (lease, lease["phase"] == "InUse")
            }
            #expect(inUse["phase"] == "InUse")
            #expect(inUse["lastError"] == nil, "\(inUse)")
        }
    }

    @Test
    func burstOfAllocationsUnderTheCloudsThrottleFailsNoLease() async throws {
        try await Self.withBroker(.sqlite, emulator: { $0.throttles["AllocateEipAddress"] = ThrottleLimit(perMinute: 120) }) {
            broker, fixture in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("burst", quota: 100, ["vpcIds": ["vpc-sim"]])
            try await kit.pool(["name": "ali", "provider": "aliyun", "region": Self.region, "maxSize": 100, "warm": ["min": 0, "max": 0]])
            // The 100 allocations are recorded in moments (8 calls in flight, the test client's
            // connections); the burst the cloud sees is the reconciler's.
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                var answers: [Int] = []
                for index in 0..<100 {
                    if index >= 8, let answer = try await group.next() { answers.append(answer) }
                    group.addTask {
                        try await kit.allocate(
                            token: token, ["namespace": "load", "pod": "p-\(index)", "podUid": "u-\(index)", "pool": "ali"], wait: nil
                        ).status
                    }
                }
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.count == 100)
            #expect(answers.allSatisfy { $0 == 201 })
            let leases = try await LeaseTestKit.poll("100 leases allocated", timeout: .seconds(240)) {
                let list = try await broker.call(.GET, "/v1/leases?pageSize=1000", token: token)
                let phases = list.items.compactMap { $0["phase"] as? String }
                return (list.items, phases.count == 100 && phases.allSatisfy { $0 == "Allocated" || $0 == "Failed" })
            }
            let failed = leases.filter { ($0["phase"] as? String) != "Allocated" }
            #expect(failed.isEmpty, "leases not allocated: \(failed.map { ($0["lastError"] as? String) ?? "" })")
            let ids = Set(leases.compactMap { $0["allocationId"] as? String })
            #expect(ids.count == 100)
            let refusals = fixture.emulator.stats.throttled(of: "AllocateEipAddress")
            let requests = fixture.emulator.stats.requests(of: "AllocateEipAddress")
            print("throttle burst: 100 leases allocated; AllocateEipAddress requests \(requests), Throttling.User refusals \(refusals)")
            #expect(requests >= 100)
        }
    }
}
