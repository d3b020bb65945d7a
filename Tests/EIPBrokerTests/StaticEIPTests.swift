import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import Testing

@testable import EIPTestSupport

/// Static EIPs (`k8s.aliyun.com/pod-eip-instanceid`) over the real socket: an EIP that exists in
/// the cloud account outside any pool is bound to a pod, held by one lease at a time, and only
/// ever unbound by the broker, never released.
@Suite("Static EIPs")
struct StaticEIPTests {
    static let region = "cn-hangzhou"

    @Test(arguments: Backend.allCases)
    func staticEIPIsBoundHeldOnceAndNeverReleased(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("media", quota: 10)
            let eip = try await LeaseTestKit.customerEIP(in: cloud)

            let allocation = try await kit.allocate(
                token: token, ["namespace": "media", "pod": "rtsp-gateway", "podUid": "uid-rtsp-a", "eipInstanceId": eip.allocationID])
            #expect(allocation.status == 201, "\(allocation.text)")
            let allocated = try await kit.settle(allocation, into: "Allocated", token: token)
            let id = try #require(allocated["id"])
            #expect(allocated["phase"] == "Allocated")
            #expect(allocated["allocationType"] == "Static")
            #expect(allocated["allocationId"] == eip.allocationID)
            #expect(allocated["ipAddress"] == eip.ipAddress)
            #expect(allocated["pool"] == nil)

            let associated = try await kit.associate(id, token: token, privateIP: "192.168.10.31")
            #expect(associated["phase"] == "InUse")
            #expect(associated["networkInterfaceId"]?.hasPrefix("eni-") == true)
            let bound = try #require(try await cloud.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(bound.status == .inUse)
            #expect(bound.privateIPAddress == "192.168.10.31")

            // One lease at a time: another pod asking for the same EIP is refused, and takes no quota.
            let second = try await kit.allocate(
                token: token, ["namespace": "media", "pod": "rtsp-gateway-2", "podUid": "uid-rtsp-b", "eipInstanceId": eip.allocationID])
            #expect(second.status == 409, "\(second.text)")
            #expect(second["code"] == "AddressInUse")
            #expect(try await kit.cluster("media", token: token).int("activeLeases") == 1)

            // Released: the lease ends, the EIP is only unbound and stays in the account.
            let released = try await kit.release(id, token: token, expecting: "Released")
            #expect(released["phase"] == "Released")
            let kept = try #require(try await cloud.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(kept.status == .available)
            #expect(kept.instanceID == nil)
            #expect(kept.ipAddress == eip.ipAddress)
            #expect(kept.tags == ["owner": "customer"])
            #expect(try await kit.cluster("media", token: token).int("activeLeases") == 0)

            // Free again: the other pod may take it now. Even a forced release keeps the EIP.
            let retry = try await kit.allocate(
                token: token, ["namespace": "media", "pod": "rtsp-gateway-2", "podUid": "uid-rtsp-b", "eipInstanceId": eip.allocationID])
            #expect(retry.status == 201, "\(retry.text)")
            let taken = try await kit.settle(retry, into: "Allocated", token: token)
            let takenID = try #require(taken["id"])
            #expect(taken["ipAddress"] == eip.ipAddress)
            #expect(try await kit.associate(takenID, token: token, privateIP: "192.168.10.32")["phase"] == "InUse")
            let forced = try await kit.release(takenID, token: token, force: true, expecting: "Released")
            #expect(forced["phase"] == "Released")
            let survived = try #require(try await cloud.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(survived.status == .available)
            #expect(survived.ipAddress == eip.ipAddress)
        }
    }

    @Test(arguments: Backend.allCases)
    func unknownStaticEIPFailsTheLeaseWithNotFound(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("media", quota: 10)
            let missing = "eip-doesnotexist00000000"
            #expect(try await cloud.describe(allocationID: missing, region: Self.region) == nil)

            let allocation = try await kit.allocate(
                token: token, ["namespace": "media", "pod": "rtsp-gateway", "podUid": "uid-rtsp-a", "eipInstanceId": missing])
            #expect(allocation.status == 201, "\(allocation.text)")
            let failed = try await kit.settle(allocation, into: "Failed", token: token)
            #expect(failed["phase"] == "Failed")
            #expect(failed["allocationType"] == "Static")
            let lastError = try #require(failed["lastError"])
            #expect(lastError.contains("NotFound"), "\(lastError)")
            #expect(lastError.contains(missing), "\(lastError)")
            // A failed lease holds nothing, and the broker made nothing in the cloud.
            #expect(try await kit.cluster("media", token: token).int("activeLeases") == 0)
            #expect(try await cloud.describe(allocationID: missing, region: Self.region) == nil)
            #expect(try await cloud.describeTagged(key: "eip-broker/owner", value: "eip-broker", region: Self.region).isEmpty)
        }
    }
}
