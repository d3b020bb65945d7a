import EIPCloud
import EIPCloudSimulated
import EIPCore
import EIPSQL
import Foundation
import PostgresNIO
import Testing

@testable import EIPTestSupport

/// The simulated cloud against real SQLite and PostgreSQL databases: the Alibaba-like state
/// machine, idempotency, faults, and two replicas sharing one cloud.
@Suite("SimulatedCloud")
struct SimulatedCloudTests {
    static let region = "cn-hangzhou"

    static func request(token: String = UUID().uuidString, tags: [String: String] = [:], parameters: EIPParameters = EIPParameters())
        -> CloudAllocationRequest
    {
        CloudAllocationRequest(region: region, parameters: parameters, clientToken: token, tags: tags)
    }

    static func count(_ db: any SQLDatabase, _ condition: SQL = "1 = 1") async throws -> Int64 {
        try await db.query("SELECT COUNT(*) AS n FROM sim_eips WHERE " + condition).first?.int64("n") ?? -1
    }

    /// Runs `body`, expecting a ``CloudError`` of `kind` (and `code`, when given).
    @discardableResult
    static func expectCloudError(
        _ kind: CloudError.Kind, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async -> CloudError? {
        let error = await #expect(throws: CloudError.self, sourceLocation: sourceLocation) { try await body() }
        if let error {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            if let code { #expect(error.code == code, "\(error)", sourceLocation: sourceLocation) }
        }
        return error
    }

    @Test(arguments: Backend.allCases)
    func itsSchemaAdoptsTheTablesTheBrokerMadeBeforeItHadOneOfItsOwn(_ backend: Backend) async throws {
        try await TestDatabase.with(backend, migrated: false) { db in
            // The broker's migrations 2 and 3 once made these tables, in this shape, unrecorded
            // in `sim_schema_migrations`.
            try await db.database.transaction { sql in
                for statement in SchemaMigrations.simulatedCloud.migrations[0].statements {
                    try await sql.query(SQL(stringLiteral: statement))
                }
            }
            let cloud = SimulatedCloud(database: db.database)
            let eip = try await cloud.allocate(Self.request())

            try await SchemaMigrations.simulatedCloud.apply(to: db.database)
            try await SchemaMigrations.simulatedCloud.apply(to: db.database)
            let versions = try await db.database.query("SELECT version FROM sim_schema_migrations ORDER BY version").map {
                $0.int("version")
            }
            #expect(versions == SchemaMigrations.simulatedCloud.migrations.map(\.version))
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region) == eip)
        }
    }

    @Test(arguments: Backend.allCases)
    func allocatesDescribesAndFindsByTag(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            #expect(cloud.account == "sim")
            let tags = ["eip-broker/owner": "broker-1", "eip-broker/pool": "web"]
            let eip = try await cloud.allocate(
                Self.request(tags: tags, parameters: EIPParameters(bandwidth: 20, isp: "BGP_PRO", name: "web-1")))

            #expect(eip.allocationID.wholeMatch(of: /eip-[a-z0-9]{20}/) != nil)
            #expect(eip.ipAddress.hasPrefix("198.18.") || eip.ipAddress.hasPrefix("198.19."))
            #expect(eip.status == .available)
            #expect(eip.region == Self.region)
            #expect(eip.tags == tags)
            #expect(eip.instanceID == nil && eip.bandwidthPackageID == nil)
            // What the request leaves out takes Alibaba's defaults, the account's default
            // resource group included (the same in every process: derived from the account).
            let resourceGroup = try #require(eip.parameters.resourceGroupId)
            #expect(resourceGroup.wholeMatch(of: /rg-acfm[0-9a-f]{12}/) != nil)
            let elsewhere = try await SimulatedCloud(account: "sim-2", database: db.database).allocate(Self.request(tags: [:]))
            #expect(
                elsewhere.parameters.resourceGroupId?.hasPrefix("rg-acfm") == true && elsewhere.parameters.resourceGroupId != resourceGroup)
            #expect(
                eip.parameters
                    == EIPParameters(
                        bandwidth: 20, internetChargeType: "PayByBandwidth", instanceChargeType: "PostPaid", isp: "BGP_PRO",
                        resourceGroupId: resourceGroup, name: "web-1")
            )

            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region) == eip)
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: "cn-beijing") == nil)
            #expect(try await cloud.describe(allocationID: "eip-doesnotexist000000", region: Self.region) == nil)

            let other = try await cloud.allocate(Self.request(tags: ["eip-broker/owner": "broker-2"]))
            #expect(other.allocationID != eip.allocationID && other.ipAddress != eip.ipAddress)
            #expect(
                other.parameters
                    == EIPParameters(
                        bandwidth: 5, internetChargeType: "PayByBandwidth", instanceChargeType: "PostPaid", isp: "BGP",
                        resourceGroupId: resourceGroup))

            #expect(try await cloud.describeTagged(key: "eip-broker/owner", value: "broker-1", region: Self.region) == [eip])
            #expect(try await cloud.describeTagged(key: "eip-broker/owner", value: "broker-2", region: Self.region) == [other])
            #expect(try await cloud.describeTagged(key: "eip-broker/owner", value: "broker-1", region: "cn-beijing").isEmpty)

            // Accounts do not see each other's EIPs.
            let otherAccount = SimulatedCloud(account: "sim-2", database: db.database)
            #expect(try await otherAccount.describe(allocationID: eip.allocationID, region: Self.region) == nil)
            #expect(try await otherAccount.describeTagged(key: "eip-broker/owner", value: "broker-1", region: Self.region).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func rejectsInvalidParameters(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            await Self.expectCloudError(.rejected, code: "InvalidParameter") {
                _ = try await cloud.allocate(Self.request(parameters: EIPParameters(bandwidth: 0)))
            }
            await Self.expectCloudError(.rejected, code: "InvalidParameter") {
                _ = try await cloud.networkInterface(
                    privateIPAddress: "10.0.0.256", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            }
            let held = try await Self.count(db.database)
            #expect(held == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func clientTokenAllocatesOnce(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            let request = Self.request(token: "token-1", tags: ["k": "v"])
            let first = try await cloud.allocate(request)
            let second = try await cloud.allocate(request)
            #expect(first == second)
            #expect(try await Self.count(db.database, "client_token = \("token-1")") == 1)

            await Self.expectCloudError(.rejected, code: "IdempotentParameterMismatch") {
                _ = try await cloud.allocate(Self.request(token: "token-1", parameters: EIPParameters(bandwidth: 50)))
            }
            // The same token in another account is another allocation.
            let elsewhere = try await SimulatedCloud(account: "sim-2", database: db.database).allocate(request)
            #expect(elsewhere.allocationID != first.allocationID)
        }
    }

    @Test(arguments: Backend.allCases)
    func retryAfterLostAllocateResponseReturnsTheSameEIP(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let faults = SimulatedCloud.Faults()
            let cloud = SimulatedCloud(database: db.database, faults: faults)
            faults.dropResponseNext(.allocate)
            let request = Self.request(token: "lost-1", tags: ["owner": "broker"])

            let error = await Self.expectCloudError(.unavailable) { _ = try await cloud.allocate(request) }
            #expect(error?.isRetryable == true)
            #expect(error?.requestID != nil)
            let made = try await cloud.describeTagged(key: "owner", value: "broker", region: Self.region)
            #expect(made.count == 1)

            let retried = try await cloud.allocate(request)
            #expect([retried] == made)
            #expect(try await Self.count(db.database) == 1)
            #expect(faults.calls(of: .allocate) == 2)
            #expect(faults.calls(of: .allocate, account: "sim") == 2)
            #expect(faults.calls(of: .allocate, account: "other") == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func associatesWithAStableNetworkInterface(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let replicaDatabase = try await db.openReplica()
            let cloud = SimulatedCloud(database: db.database)
            let replica = SimulatedCloud(database: replicaDatabase)

            let eni = try await cloud.networkInterface(
                privateIPAddress: "10.0.3.7", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            #expect(eni.hasPrefix("eni-"))
            #expect(
                try await replica.networkInterface(privateIPAddress: "10.0.3.7", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
                    == eni)
            #expect(
                try await SimulatedCloud(database: db.database).networkInterface(
                    privateIPAddress: "10.0.3.7", networkInterfaceID: nil, region: Self.region, vpcIDs: []) == eni)
            #expect(
                try await cloud.networkInterface(privateIPAddress: "10.0.3.8", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
                    != eni)

            let eip = try await cloud.allocate(Self.request())
            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "10.0.3.7", region: Self.region, force: false)
            let bound = try #require(try await replica.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(bound.status == .inUse)
            #expect(bound.instanceID == eni && bound.privateIPAddress == "10.0.3.7")

            // Associating again where it already is succeeds, from either replica.
            try await replica.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "10.0.3.7", region: Self.region, force: false)

            await Self.expectCloudError(.notFound, code: "InvalidAllocationId.NotFound") {
                try await cloud.associate(
                    allocationID: "eip-missing", networkInterfaceID: eni, privateIPAddress: "10.0.3.7", region: Self.region, force: false)
            }
            // One EIP per private IP: a second one waits for the first to be unbound.
            let second = try await cloud.allocate(Self.request())
            await Self.expectCloudError(.busy, code: "OperationConflict") {
                try await cloud.associate(
                    allocationID: second.allocationID, networkInterfaceID: eni, privateIPAddress: "10.0.3.7", region: Self.region,
                    force: false)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func associateRefusesAnEIPInUseElsewhereUnlessForced(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            let eniA = try await cloud.networkInterface(
                privateIPAddress: "10.0.0.1", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            let eniB = try await cloud.networkInterface(
                privateIPAddress: "10.0.0.2", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            let eip = try await cloud.allocate(Self.request())
            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: eniA, privateIPAddress: "10.0.0.1", region: Self.region, force: false)

            await Self.expectCloudError(.inUseElsewhere, code: "IncorrectEipStatus") {
                try await cloud.associate(
                    allocationID: eip.allocationID, networkInterfaceID: eniB, privateIPAddress: "10.0.0.2", region: Self.region,
                    force: false)
            }
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.instanceID == eniA)

            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: eniB, privateIPAddress: "10.0.0.2", region: Self.region, force: true)
            let moved = try #require(try await cloud.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(moved.status == .inUse && moved.instanceID == eniB && moved.privateIPAddress == "10.0.0.2")
        }
    }

    @Test(arguments: Backend.allCases)
    func unassociates(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            let eni = try await cloud.networkInterface(
                privateIPAddress: "172.16.0.9", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            let eip = try await cloud.allocate(Self.request())
            try await cloud.unassociate(allocationID: eip.allocationID, region: Self.region)

            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "172.16.0.9", region: Self.region, force: false)
            try await cloud.unassociate(allocationID: eip.allocationID, region: Self.region)
            let free = try #require(try await cloud.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(free.status == .available && free.instanceID == nil && free.privateIPAddress == nil)
            try await cloud.unassociate(allocationID: eip.allocationID, region: Self.region)

            await Self.expectCloudError(.notFound, code: "InvalidAllocationId.NotFound") {
                try await cloud.unassociate(allocationID: "eip-missing", region: Self.region)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func changesInProgressAreBusy(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            // Associations that never settle while the test runs, and a short wait for them.
            let configuration = SimulatedCloud.Configuration(settleDelay: .seconds(3600), settleTimeout: .milliseconds(30))
            let cloud = SimulatedCloud(database: db.database, configuration: configuration)
            let eip = try await cloud.allocate(Self.request())
            await Self.expectCloudError(.unavailable, code: "OperationTimeout") {
                try await cloud.associate(
                    allocationID: eip.allocationID, networkInterfaceID: "eni-a", privateIPAddress: "10.1.0.1", region: Self.region,
                    force: false)
            }
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.status == .associating)
            await Self.expectCloudError(.busy, code: "IncorrectEipStatus") {
                try await cloud.associate(
                    allocationID: eip.allocationID, networkInterfaceID: "eni-b", privateIPAddress: "10.1.0.2", region: Self.region,
                    force: true)
            }
            await Self.expectCloudError(.busy, code: "IncorrectEipStatus") {
                try await cloud.release(allocationID: eip.allocationID, region: Self.region)
            }
            await Self.expectCloudError(.busy, code: "IncorrectEipStatus") {
                try await cloud.unassociate(allocationID: eip.allocationID, region: Self.region)
            }
        }
    }

    /// A package bought in the account is described with its EIPs and the account's limit;
    /// another account, region or id finds nothing.
    @Test(arguments: Backend.allCases)
    func aBandwidthPackageIsDescribedWithItsEIPs(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(
                database: db.database, configuration: SimulatedCloud.Configuration(bandwidthPackageIPLimit: 7))
            try await cloud.createBandwidthPackage(id: "cbwp-bought1", region: Self.region, bandwidth: 300, isp: "BGP_PRO")
            #expect(try await cloud.describeBandwidthPackage(id: "cbwp-bought1", region: Self.region)?.allocationIDs == [])
            var members: [String] = []
            for _ in 0..<2 {
                let eip = try await cloud.allocate(Self.request())
                try await cloud.joinBandwidthPackage(
                    allocationID: eip.allocationID, bandwidthPackageID: "cbwp-bought1", region: Self.region)
                members.append(eip.allocationID)
            }
            _ = try await cloud.allocate(Self.request())
            let package = try #require(try await cloud.describeBandwidthPackage(id: "cbwp-bought1", region: Self.region))
            #expect(
                package
                    == CloudBandwidthPackage(
                        id: "cbwp-bought1", region: Self.region, isp: "BGP_PRO", bandwidth: 300, allocationIDs: members.sorted(), ipLimit: 7
                    ))
            #expect(package.room == 5)
            #expect(try await cloud.describeBandwidthPackage(id: "cbwp-bought1", region: "cn-beijing") == nil)
            #expect(try await cloud.describeBandwidthPackage(id: "cbwp-other", region: Self.region) == nil)
            #expect(
                try await SimulatedCloud(account: "sim-2", database: db.database).describeBandwidthPackages(region: Self.region).isEmpty)
            #expect(try await cloud.describeBandwidthPackages(region: Self.region).map(\.id) == ["cbwp-bought1"])
        }
    }

    @Test(arguments: Backend.allCases)
    func releaseWaitsForTheEIPToLeaveItsBandwidthPackage(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            let eip = try await cloud.allocate(Self.request())
            try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-1", region: Self.region)
            try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-1", region: Self.region)
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.bandwidthPackageID == "cbwp-1")
            await Self.expectCloudError(.rejected) {
                try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-2", region: Self.region)
            }

            await Self.expectCloudError(.rejected, code: "OperationFailed.EipInCbwp") {
                try await cloud.release(allocationID: eip.allocationID, region: Self.region)
            }
            try await cloud.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-2", region: Self.region)
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.bandwidthPackageID == "cbwp-1")
            try await cloud.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-1", region: Self.region)
            try await cloud.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-1", region: Self.region)

            try await cloud.release(allocationID: eip.allocationID, region: Self.region)
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region) == nil)
            try await cloud.release(allocationID: eip.allocationID, region: Self.region)
            await Self.expectCloudError(.notFound) {
                try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-1", region: Self.region)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func releaseRefusesABoundEIP(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database)
            let eip = try await cloud.allocate(Self.request())
            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: "eni-x", privateIPAddress: "10.9.9.9", region: Self.region, force: false
            )
            await Self.expectCloudError(.busy, code: "IncorrectEipStatus") {
                try await cloud.release(allocationID: eip.allocationID, region: Self.region)
            }
            try await cloud.unassociate(allocationID: eip.allocationID, region: Self.region)
            try await cloud.release(allocationID: eip.allocationID, region: Self.region)
            #expect(try await Self.count(db.database) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func enforcesTheAccountQuota(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let cloud = SimulatedCloud(database: db.database, configuration: .init(quota: 2))
            let first = try await cloud.allocate(Self.request(token: "q-1"))
            _ = try await cloud.allocate(Self.request(token: "q-2"))
            await Self.expectCloudError(.quotaExceeded, code: "QuotaExceeded.Eip") {
                _ = try await cloud.allocate(Self.request(token: "q-3"))
            }
            // A retry of an allocation that was made is not a new one.
            #expect(try await cloud.allocate(Self.request(token: "q-1")) == first)
            // Another account has its own quota.
            _ = try await SimulatedCloud(account: "sim-2", database: db.database, configuration: .init(quota: 2)).allocate(
                Self.request(token: "q-3"))

            try await cloud.release(allocationID: first.allocationID, region: Self.region)
            _ = try await cloud.allocate(Self.request(token: "q-3"))
        }
    }

    @Test(arguments: Backend.allCases)
    func injectedFailuresSurfaceAndChangeNothing(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let faults = SimulatedCloud.Faults(seed: 42)
            let cloud = SimulatedCloud(database: db.database, faults: faults)

            faults.failNext(.allocate, with: SimulatedCloud.Faults.serviceUnavailable)
            let error = await Self.expectCloudError(.unavailable, code: "ServiceUnavailable") {
                _ = try await cloud.allocate(Self.request())
            }
            #expect(error?.isRetryable == true)
            #expect(try await Self.count(db.database) == 0)
            let eip = try await cloud.allocate(Self.request())

            faults.failNext(.associate, count: 2, with: SimulatedCloud.Faults.throttling)
            for _ in 0..<2 {
                await Self.expectCloudError(.throttled, code: "Throttling.User") {
                    try await cloud.associate(
                        allocationID: eip.allocationID, networkInterfaceID: "eni-1", privateIPAddress: "10.0.0.1", region: Self.region,
                        force: false)
                }
            }
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.status == .available)
            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: "eni-1", privateIPAddress: "10.0.0.1", region: Self.region, force: false
            )
            #expect(faults.calls(of: .associate) == 3)

            faults.failRandomly(.describe, probability: 1)
            await Self.expectCloudError(.unavailable) { _ = try await cloud.describe(allocationID: eip.allocationID, region: Self.region) }
            faults.failRandomly(.describe, probability: 0)
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.status == .inUse)

            faults.failNext(.release, count: 5)
            faults.clear()
            try await cloud.unassociate(allocationID: eip.allocationID, region: Self.region)
            try await cloud.release(allocationID: eip.allocationID, region: Self.region)
        }
    }

    @Test(arguments: Backend.allCases)
    func lostAssociateResponseLeavesTheEIPBound(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let faults = SimulatedCloud.Faults()
            let cloud = SimulatedCloud(database: db.database, faults: faults)
            let eip = try await cloud.allocate(Self.request())
            faults.dropResponseNext(.associate)
            await Self.expectCloudError(.unavailable) {
                try await cloud.associate(
                    allocationID: eip.allocationID, networkInterfaceID: "eni-1", privateIPAddress: "10.0.0.1", region: Self.region,
                    force: false)
            }
            #expect(try await cloud.describe(allocationID: eip.allocationID, region: Self.region)?.status == .inUse)
            try await cloud.associate(
                allocationID: eip.allocationID, networkInterfaceID: "eni-1", privateIPAddress: "10.0.0.1", region: Self.region, force: false
            )
        }
    }

    @Test(arguments: Backend.allCases)
    func replicasShareOneCloud(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let replicaDatabase = try await db.openReplica()
            let clouds = [SimulatedCloud(database: db.database), SimulatedCloud(database: replicaDatabase)]

            let eip = try await clouds[0].allocate(Self.request(tags: ["owner": "a"]))
            #expect(try await clouds[1].describe(allocationID: eip.allocationID, region: Self.region) == eip)
            #expect(try await clouds[1].describeTagged(key: "owner", value: "a", region: Self.region) == [eip])

            // Both replicas retrying one allocation at once make one EIP.
            let results = try await withThrowingTaskGroup(of: CloudEIP.self) { group in
                for index in 0..<8 {
                    group.addTask { try await clouds[index % 2].allocate(Self.request(token: "shared")) }
                }
                return try await group.reduce(into: [CloudEIP]()) { $0.append($1) }
            }
            #expect(Set(results.map(\.allocationID)).count == 1)
            #expect(try await Self.count(db.database, "client_token = \("shared")") == 1)

            // Concurrent allocations from both replicas get distinct addresses.
            let addresses = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<10 {
                    group.addTask { try await clouds[index % 2].allocate(Self.request()).ipAddress }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(addresses).count == 10)

            // A change made through one replica is seen, settled, by the other.
            try await clouds[0].associate(
                allocationID: eip.allocationID, networkInterfaceID: "eni-9", privateIPAddress: "10.0.0.9", region: Self.region, force: false
            )
            #expect(try await clouds[1].describe(allocationID: eip.allocationID, region: Self.region)?.status == .inUse)
            try await clouds[1].unassociate(allocationID: eip.allocationID, region: Self.region)
            #expect(try await clouds[0].describe(allocationID: eip.allocationID, region: Self.region)?.status == .available)
        }
    }

    @Test func quotaHoldsUnderConcurrentAllocations() async throws {
        try await TestDatabase.with(.postgres) { db in
            let replicaDatabase = try await db.openReplica()
            let configuration = SimulatedCloud.Configuration(quota: 5)
            let clouds = [
                SimulatedCloud(database: db.database, configuration: configuration),
                SimulatedCloud(database: replicaDatabase, configuration: configuration),
            ]
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<12 {
                    group.addTask { (try? await clouds[index % 2].allocate(Self.request())) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 5)
            #expect(try await Self.count(db.database) == 5)
        }
    }
}

extension SimulatedCloudTests {
    /// ``DatabaseURL``: the URLs the broker and the tests are configured with.
    @Suite("DatabaseURL")
    struct DatabaseURLParsing {
        @Test func parsesPostgresURLs() throws {
            guard case .postgres(let full) = try DatabaseURL("postgres://broker:s%40cret@db.example:6543/eip%20books?sslmode=require")
            else {
                Issue.record("not postgres")
                return
            }
            #expect(
                full
                    == .init(
                        host: "db.example", port: 6543, username: "broker", password: "s@cret", database: "eip books", tlsMode: .require))
            #expect(full.clientConfiguration.host == "db.example" && full.clientConfiguration.port == 6543)

            #expect(
                try DatabaseURL("postgresql://127.0.0.1/postgres")
                    == .postgres(.init(host: "127.0.0.1", username: "postgres", password: nil, database: "postgres")))
            #expect(
                try DatabaseURL("postgres://me@localhost")
                    == .postgres(.init(host: "localhost", username: "me", password: nil, database: "me")))
            #expect(
                try DatabaseURL("postgres://u:@[::1]:5433/d?sslmode=disable")
                    == .postgres(.init(host: "::1", port: 5433, username: "u", password: "", database: "d", tlsMode: .disable)))
            #expect(
                try DatabaseURL("postgres://u@h/d?sslmode=verify-full")
                    == .postgres(.init(host: "h", username: "u", password: nil, database: "d", tlsMode: .verifyFull)))
        }

        @Test func parsesSQLiteLocations() throws {
            #expect(try DatabaseURL("sqlite:///var/lib/eip/broker.db") == .sqlite(path: "/var/lib/eip/broker.db"))
            #expect(try DatabaseURL("sqlite:broker.db") == .sqlite(path: "broker.db"))
            #expect(try DatabaseURL("sqlite::memory:") == .sqlite(path: nil))
            #expect(try DatabaseURL("./data/broker.db") == .sqlite(path: "./data/broker.db"))
            #expect(try DatabaseURL("/tmp/b.db") == .sqlite(path: "/tmp/b.db"))
        }

        @Test(arguments: [
            ("", "empty"),
            ("mysql://u@h/d", "unsupported scheme 'mysql'"),
            ("postgres://u:hunter2@/d", "host is missing"),
            ("postgres://u:hunter2@h:99999/d", "port '99999'"),
            ("postgres://u:hunter2@h:abc/d", "port 'abc'"),
            ("postgres://u:hunter2@h/d?sslmode=sometimes", "sslmode 'sometimes'"),
            ("postgres://u:hunter2@h/d?connect_timeout=5", "unknown parameter 'connect_timeout'"),
            ("postgres://u:hunter2%zz@h/d", "password has a bad percent-escape"),
            ("postgres://:hunter2@h/d", "user name is empty"),
            ("postgres://u:hunter2@[::1/d", "closing ']'"),
            ("sqlite://host/file.db", "names a file"),
            ("sqlite:", "no file path"),
        ])
        func explainsBadURLs(_ text: String, _ problem: String) {
            let error = #expect(throws: SQLError.self) { try DatabaseURL(text) }
            let message = error.map(String.init(describing:)) ?? ""
            #expect(message.contains(problem), "\(message)")
            #expect(!message.contains("hunter2"), "\(message)")
        }

        @Test func neverShowsThePassword() throws {
            let url = try DatabaseURL("postgres://broker:hunter2@db:5432/eip")
            #expect(url.description == "postgres://broker:***@db:5432/eip?sslmode=prefer")
            var dumped = ""
            dump(url, to: &dumped)
            for text in [String(describing: url), String(reflecting: url), "\(url)", dumped] {
                #expect(!text.contains("hunter2"), "\(text)")
            }
            let revealed = url.url(includingPassword: true)
            #expect(revealed == "postgres://broker:hunter2@db:5432/eip?sslmode=prefer")
            #expect(try DatabaseURL(revealed) == url)
            let odd = try DatabaseURL("postgres://us%2Fer:p%40ss%3Aw%2Fd@[::1]:6000/my%20db?sslmode=verify-ca")
            #expect(try DatabaseURL(odd.url(includingPassword: true)) == odd)
            if case .postgres(let server) = url {
                #expect(!String(describing: server).contains("hunter2"))
                #expect(!String(reflecting: server).contains("hunter2"))
            }
        }
    }
}
