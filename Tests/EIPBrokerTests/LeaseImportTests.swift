import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// `POST /v1/lease-imports`: an admin takes over an EIP that already serves a pod, and the
/// broker checks it against the cloud and the books before it counts it.
@Suite("Lease import")
struct LeaseImportTests {
    static let region = "cn-hangzhou"

    /// An EIP made outside the broker and bound to `ip`, as ACK's controller leaves one.
    static func boundEIP(_ cloud: SimulatedCloud, ip: String) async throws -> CloudEIP {
        let eip = try await cloud.allocate(
            CloudAllocationRequest(region: region, parameters: EIPParameters(isp: "BGP_PRO"), clientToken: UUID().uuidString, tags: [:]))
        let eni = try await cloud.networkInterface(privateIPAddress: ip, networkInterfaceID: nil, region: region, vpcIDs: [])
        try await cloud.associate(
            allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: ip, region: region, force: false)
        return eip
    }

    static func body(_ pod: String, _ eip: String, ip: String? = "10.1.0.1", type: String = "Auto", pool: String? = "games") -> String {
        var fields: [String: Any] = [
            "cluster": "prod-a", "namespace": "games", "pod": pod, "podUid": "uid-\(pod)", "allocationId": eip, "allocationType": type,
            "releaseStrategy": "10m",
        ]
        fields["pool"] = pool
        fields["privateIpAddress"] = ip
        return TestBroker.json(fields)
    }

    /// ACK's EIPs in a package nobody registered: the first import finds the package (its room
    /// what the cloud leaves), and each import seats its EIP and gives that seat back, so the
    /// package's room stays the cloud's however many are imported.
    @Test(arguments: Backend.allCases)
    func importedEIPsOfAPackageFoundInTheCloudKeepItsRoomTheClouds(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            _ = try await kit.cluster("prod-a", quota: 5)
            try await kit.pool(["name": "games", "maxSize": 5, "warm": ["min": 0, "max": 0]])
            try await cloud.createBandwidthPackage(id: "cbwp-acked1", region: Self.region)
            var members: [CloudEIP] = []
            for index in 1...3 {
                let eip = try await Self.boundEIP(cloud, ip: "10.1.1.\(index)")
                try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-acked1", region: Self.region)
                members.append(eip)
            }
            for (index, eip) in members.prefix(2).enumerated() {
                let imported = try await broker.call(
                    .POST, "/v1/lease-imports", token: broker.adminToken,
                    json: Self.body("relay-\(index)", eip.allocationID, ip: "10.1.1.\(index + 1)"))
                #expect(imported.status == 201 && imported["bandwidthPackageId"] == "cbwp-acked1", "\(imported.text)")
            }
            let package = try await kit.bandwidthPackage("cbwp-acked1")
            #expect(package["discoveredFor"] == "games")
            #expect(package.int("members") == 2)
            // 100 per package, 3 in it: 97 more, and the 2 imported are the broker's.
            #expect(package.int("maxIps") == 99)
        }
    }

    @Test(arguments: Backend.allCases)
    func anImportedEIPIsThePodsLeaseAsItIsAndTheBooksCountIt(_ backend: Backend) async throws {
        try await LeaseTestKit.withBrokerAndCloud(backend) { broker, cloud in
            let kit = LeaseTestKit(broker)
            let token = try await kit.cluster("prod-a", quota: 2)
            try await kit.pool(["name": "games", "maxSize": 2, "warm": ["min": 0, "max": 0]])
            let eip = try await Self.boundEIP(cloud, ip: "10.1.0.1")
            let admin = broker.adminToken

            let imported = try await broker.call(.POST, "/v1/lease-imports", token: admin, json: Self.body("relay-0", eip.allocationID))
            #expect(imported.status == 201, "\(imported.text)")
            #expect(imported["phase"] == "InUse" && imported["ipAddress"] == eip.ipAddress && imported["allocationId"] == eip.allocationID)
            #expect(imported["isp"] == "BGP_PRO" && imported["releaseAfter"] == "10m0s" && imported["privateIpAddress"] == "10.1.0.1")
            let again = try await broker.call(.POST, "/v1/lease-imports", token: admin, json: Self.body("relay-0", eip.allocationID))
            #expect(again.status == 200 && again["id"] == imported["id"], "\(again.text)")
            #expect(try await kit.getPool("games").int("leased") == 1)
            #expect(try await kit.cluster("prod-a", token: admin).int("activeLeases") == 1)
            let tagged = try #require(try await cloud.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(tagged.tags["eip-broker/lease"] == imported["id"] && tagged.status == .inUse)
            #expect(cloud.faults.calls(of: .unassociate) == 0)

            // The books hold it now: not for another pod.
            let twice = try await broker.call(.POST, "/v1/lease-imports", token: admin, json: Self.body("relay-1", eip.allocationID))
            #expect(twice.status == 409 && twice["code"] == "AddressInUse", "\(twice.text)")
            #expect(try await kit.cluster("prod-a", token: admin).int("activeLeases") == 1)

            // The pod holds a lease: not a second one.
            let other = try await Self.boundEIP(cloud, ip: "10.1.0.2")
            let second = try await broker.call(
                .POST, "/v1/lease-imports", token: admin, json: Self.body("relay-0", other.allocationID, ip: "10.1.0.2"))
            #expect(second.status == 409 && second["code"] == "Conflict", "\(second.text)")

            // Bound to another address than the pod's.
            let elsewhere = try await broker.call(
                .POST, "/v1/lease-imports", token: admin, json: Self.body("relay-2", other.allocationID, ip: "10.1.0.9"))
            #expect(elsewhere.status == 409 && elsewhere.text.contains("privateIpAddress"), "\(elsewhere.text)")

            // An EIP the account does not have.
            let unknown = try await broker.call(
                .POST, "/v1/lease-imports", token: admin, json: Self.body("relay-3", "eip-nosuchthing000000"))
            #expect(unknown.status == 404 && unknown.text.contains("allocationId"), "\(unknown.text)")

            // A static EIP takes no pool; an Auto one needs one.
            let staticWithPool = try await broker.call(
                .POST, "/v1/lease-imports", token: admin, json: Self.body("relay-4", other.allocationID, ip: "10.1.0.2", type: "Static"))
            #expect(staticWithPool.status == 422 && staticWithPool.text.contains("\"pool\""), "\(staticWithPool.text)")
            let autoWithout = try await broker.call(
                .POST, "/v1/lease-imports", token: admin, json: Self.body("relay-4", other.allocationID, ip: "10.1.0.2", pool: nil))
            #expect(autoWithout.status == 422 && autoWithout.text.contains("\"pool\""), "\(autoWithout.text)")

            // A cluster token may not import: it could claim any EIP of the account.
            let asCluster = try await broker.call(
                .POST, "/v1/lease-imports", token: token, json: Self.body("relay-4", other.allocationID, ip: "10.1.0.2"))
            #expect(asCluster.status == 403, "\(asCluster.text)")

            // A static one: bound, never the pool's.
            let pinned = try await broker.call(
                .POST, "/v1/lease-imports", token: admin,
                json: Self.body("rtsp-0", other.allocationID, ip: "10.1.0.2", type: "Static", pool: nil))
            #expect(pinned.status == 201 && pinned["allocationType"] == "Static" && pinned["phase"] == "InUse", "\(pinned.text)")
            #expect(try await kit.getPool("games").int("leased") == 1)

            // The quota is counted: a third import is refused and changes nothing.
            let third = try await Self.boundEIP(cloud, ip: "10.1.0.3")
            let over = try await broker.call(
                .POST, "/v1/lease-imports", token: admin, json: Self.body("relay-5", third.allocationID, ip: "10.1.0.3"))
            #expect(over.status == 429 && over["code"] == "QuotaExceeded", "\(over.text)")
            #expect(try await kit.getPool("games").int("size") == 1)

            // Released by its strategy later, as any of the broker's own.
            let released = try await kit.release(try #require(imported["id"]), token: token, force: true, expecting: "Released")
            #expect(released["phase"] == "Released")
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region) == nil)
        }
    }
}
