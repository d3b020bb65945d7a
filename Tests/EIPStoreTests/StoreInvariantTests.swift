import EIPCore
import EIPSQL
import EIPStore
import Testing

@testable import EIPTestSupport

/// DESIGN.md's invariants, checked directly against ``BrokerStore`` (no HTTP) on SQLite and
/// PostgreSQL: the limits under concurrency from two store replicas on one database, the
/// constraints the database itself enforces, work claiming, idempotency keys, loop leadership and
/// the audit log.
///
/// The tests run in parallel, each on its own database; on SQLite that also checks that replicas
/// waiting for each other's write lock do not starve one another of threads.
@Suite("StoreInvariants")
struct StoreInvariantTests {
    static let location = ClusterLocation(provider: "sim", region: "cn-hangzhou")
    static let admin = Principal.admin

    // MARK: Fixtures

    static func poolSettings(maxSize: Int, packages: [String] = []) -> PoolSettings {
        PoolSettings(
            provider: location.provider, region: location.region, defaults: EIPParameters(bandwidth: 5, isp: "BGP"),
            bandwidthPackages: packages, warm: WarmRange(min: 0, max: 0), maxSize: maxSize, clusters: nil
        )
    }

    static func poolRequest(_ pod: String, uid: String? = nil, cluster: String = "prod", pool: String = "web") throws -> AllocationRequest {
        try AllocationRequest.validated(
            cluster: cluster, namespace: "default", pod: pod, podUID: uid ?? "uid-\(pod)", pool: pool, eipInstanceID: nil,
            releaseStrategy: nil, overrides: EIPParameters(), bandwidthPackageID: nil, allowRob: false
        )
    }

    static func staticRequest(_ pod: String, eip: String, cluster: String = "prod") throws -> AllocationRequest {
        try AllocationRequest.validated(
            cluster: cluster, namespace: "default", pod: pod, podUID: "uid-\(pod)", pool: nil, eipInstanceID: eip,
            releaseStrategy: nil, overrides: EIPParameters(), bandwidthPackageID: nil, allowRob: false
        )
    }

    /// Every counter matches the rows it counts (``BrokerStore/counterDrift()``).
    static func expectBooksBalance(_ store: BrokerStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let drift = try await store.counterDrift()
        #expect(drift.isEmpty, "counters drifted: \(drift)", sourceLocation: sourceLocation)
    }

    /// What one allocate call came back with.
    struct Outcome: Sendable {
        var leaseID: String?
        var created: Bool
        var code: BrokerError.Code?
    }

    /// Runs every request at once, alternating between the stores (replicas).
    static func allocateConcurrently(_ requests: [AllocationRequest], over stores: [BrokerStore]) async throws -> [Outcome] {
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (index, request) in requests.enumerated() {
                let store = stores[index % stores.count]
                group.addTask {
                    do {
                        let (lease, created) = try await store.allocate(request, actor: .cluster(request.cluster))
                        return Outcome(leaseID: lease.id, created: created, code: nil)
                    } catch let error as BrokerError {
                        return Outcome(leaseID: nil, created: false, code: error.code)
                    }
                }
            }
            var outcomes: [Outcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    static func count(_ database: any SQLDatabase, _ query: SQL) async throws -> Int {
        try #require(try await database.query(query).first?.int("n"))
    }

    /// Runs `body`, expecting the database to refuse it with `expected`, naming the constraint
    /// (PostgreSQL reports its name; SQLite's message names the columns or the CHECK's name).
    static func expectRefusal(
        _ expected: Refusal, naming constraint: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: SQLError.self, sourceLocation: sourceLocation) { try await body() }
        switch (expected, error) {
        case (.unique, .uniqueViolation(let name)?), (.check, .checkViolation(let name)?):
            #expect(name.contains(constraint), "\(name)", sourceLocation: sourceLocation)
        default:
            Issue.record(
                "expected a \(expected) violation of \(constraint), got \(String(describing: error))", sourceLocation: sourceLocation)
        }
    }

    enum Refusal { case unique, check }

    /// A lease row written past the store, with every column the schema requires.
    static func rawLease(id: String, pod: String, allocationID: String? = nil, phase: LeasePhase = .allocated, goal: LeaseGoal = .allocated)
        -> SQL
    {
        let active = phase.isTerminal ? 0 : 1
        return """
            INSERT INTO leases (id, cluster, namespace, pod, pod_uid, pool, allocation_type, release_strategy, parameters, allocation_id,
                phase, goal, active, needs_work, version, created_at, updated_at)
            VALUES (\(id), 'prod', 'default', \(pod), \("uid-" + id), 'web', 'Auto', 'Follow', '{}', \(allocationID),
                \(phase.rawValue), \(goal.rawValue), \(active), 0, 1, \(Timestamp.now.milliseconds), \(Timestamp.now.milliseconds))
            """
    }

    // MARK: Migrations

    @Test(arguments: Backend.allCases)
    func migrationsAreRecordedOnceAndRerunningIsANoOp(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let list: SQL = "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
            let before = try await db.database.query(list).map {
                "\($0.int("version") ?? -1) \($0.string("name") ?? "") \($0.int64("applied_at") ?? -1)"
            }
            #expect(before.count == SchemaMigrations.books.migrations.count)
            #expect(try await db.database.query(list).map { $0.int("version") } == SchemaMigrations.books.migrations.map(\.version))
            #expect(try await db.database.query(list).map { $0.string("name") } == SchemaMigrations.books.migrations.map(\.name))

            // Again, and from two replicas at once.
            try await store.migrate()
            let replica = BrokerStore(database: try await db.openReplica())
            async let first: Void = store.migrate()
            async let second: Void = replica.migrate()
            _ = try await (first, second)

            let after = try await db.database.query(list).map {
                "\($0.int("version") ?? -1) \($0.string("name") ?? "") \($0.int64("applied_at") ?? -1)"
            }
            #expect(after == before)
            // The schema works after the re-runs.
            _ = try await store.createCluster(name: "prod", quota: 1, location: Self.location, actor: Self.admin)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM clusters") == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func theBooksSchemaHoldsNoTableOfTheSimulatedCloud(_ backend: Backend) async throws {
        try await TestDatabase.with(backend, migrated: false) { db in
            try await BrokerStore(database: db.database).migrate()
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM clusters") == 0)
            for table in ["sim_eips", "sim_enis", "sim_counters"] {
                await #expect(throws: (any Error).self, "\(table) is the simulated cloud's") {
                    try await db.database.query("SELECT COUNT(*) AS n FROM \(raw: table)")
                }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func anEmptyDatabaseIsMigratedByReplicasStartingTogether(_ backend: Backend) async throws {
        try await TestDatabase.with(backend, migrated: false) { db in
            // Two concurrent CREATE TABLE IF NOT EXISTS of one table fail on PostgreSQL
            // (pg_type's unique index): replicas starting on an empty database must queue.
            var replicas = [BrokerStore(database: db.database)]
            for _ in 1..<4 { replicas.append(BrokerStore(database: try await db.openReplica())) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in replicas { group.addTask { try await replica.migrate() } }
                try await group.waitForAll()
            }
            let versions = try await db.database.query("SELECT version FROM schema_migrations ORDER BY version").map { $0.int("version") }
            #expect(versions == SchemaMigrations.books.migrations.map(\.version))
            _ = try await replicas[3].createCluster(name: "prod", quota: 1, location: Self.location, actor: Self.admin)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM clusters") == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func replicasStartingWithOneAdminTokenEachStoreItWithoutConflict(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            var replicas = [BrokerStore(database: db.database)]
            for _ in 1..<4 { replicas.append(BrokerStore(database: try await db.openReplica())) }
            for round in 0..<30 {
                // As on a fresh database: the first writes race (on PostgreSQL the loser of a
                // simultaneous insert meets the token_hash index, not the id ON CONFLICT names).
                if round.isMultiple(of: 2) { try await db.database.query("DELETE FROM tokens WHERE id = 'bootstrap-admin'") }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for replica in replicas { group.addTask { try await replica.setBootstrapAdminToken(hash: "hash-\(round)") } }
                    try await group.waitForAll()
                }
            }
            let rows = try await db.database.query("SELECT token_hash FROM tokens WHERE id = 'bootstrap-admin'")
            #expect(rows.map { $0.string("token_hash") } == ["hash-29"])
        }
    }

    // MARK: Limits under concurrency (invariant 3)

    @Test(arguments: Backend.allCases)
    func clusterQuotaHoldsUnderConcurrentAllocationsFromTwoReplicas(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 7, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 500), actor: Self.admin)

            let requests = try (0..<100).map { try Self.poolRequest("pod-\($0)") }
            let outcomes = try await Self.allocateConcurrently(requests, over: [store, replica])

            let granted = outcomes.filter { $0.code == nil }
            #expect(granted.count == 7)
            #expect(granted.allSatisfy { $0.created })
            #expect(Set(granted.compactMap(\.leaseID)).count == 7)
            #expect(outcomes.filter { $0.code == .quotaExceeded }.count == 93)

            #expect(try await store.cluster(named: "prod")?.activeLeases == 7)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM leases WHERE active = 1") == 7)
            #expect(try await store.pool(named: "web")?.size == 7)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses WHERE pool = 'web'") == 7)
            try await Self.expectBooksBalance(store)
        }
    }

    @Test(arguments: Backend.allCases)
    func poolMaxSizeHoldsUnderConcurrentAllocationsFromTwoReplicas(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 1000, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 9), actor: Self.admin)

            let requests = try (0..<100).map { try Self.poolRequest("pod-\($0)") }
            let outcomes = try await Self.allocateConcurrently(requests, over: [store, replica])

            #expect(outcomes.filter { $0.code == nil }.count == 9)
            #expect(outcomes.filter { $0.code == .poolExhausted }.count == 91)
            #expect(try await store.pool(named: "web")?.size == 9)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses WHERE pool = 'web'") == 9)
            // Refused calls gave their quota back.
            #expect(try await store.cluster(named: "prod")?.activeLeases == 9)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM leases") == 9)
            try await Self.expectBooksBalance(store)
        }
    }

    @Test(arguments: Backend.allCases)
    func bandwidthPackageLimitHoldsUnderConcurrentAllocationsFromTwoReplicas(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 1000, location: Self.location, actor: Self.admin)
            for (id, maxIPs) in [("cbwp-small", 3), ("cbwp-large", 4)] {
                _ = try await store.createBandwidthPackage(
                    BandwidthPackage(id: id, provider: "sim", region: Self.location.region, maxIPs: maxIPs, createdAt: .now),
                    actor: Self.admin
                )
            }
            _ = try await store.createPool(
                name: "web", settings: Self.poolSettings(maxSize: 100, packages: ["cbwp-small", "cbwp-large"]), actor: Self.admin)

            let requests = try (0..<100).map { try Self.poolRequest("pod-\($0)") }
            let outcomes = try await Self.allocateConcurrently(requests, over: [store, replica])

            #expect(outcomes.filter { $0.code == nil }.count == 7)
            #expect(outcomes.filter { $0.code == .bandwidthPackageFull }.count == 93)
            #expect(try await store.bandwidthPackage(id: "cbwp-small")?.members == 3)
            #expect(try await store.bandwidthPackage(id: "cbwp-large")?.members == 4)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses WHERE bandwidth_package_id = 'cbwp-small'") == 3)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses WHERE bandwidth_package_id = 'cbwp-large'") == 4)
            // The refused calls' pool slots and quota were given back.
            #expect(try await store.pool(named: "web")?.size == 7)
            #expect(try await store.cluster(named: "prod")?.activeLeases == 7)
            try await Self.expectBooksBalance(store)
        }
    }

    // MARK: One lease per pod, one address per lease (invariants 1 and 2)

    @Test(arguments: Backend.allCases)
    func concurrentAllocationsOfOnePodShareOneLease(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 50, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 50), actor: Self.admin)

            let request = try Self.poolRequest("web-0")
            let outcomes = try await Self.allocateConcurrently(Array(repeating: request, count: 20), over: [store, replica])

            #expect(outcomes.allSatisfy { $0.code == nil })
            let ids = Set(outcomes.compactMap(\.leaseID))
            #expect(ids.count == 1)
            #expect(outcomes.filter { $0.created }.count == 1)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM leases WHERE pod = 'web-0'") == 1)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses") == 1)
            #expect(try await store.cluster(named: "prod")?.activeLeases == 1)
            #expect(try await store.pool(named: "web")?.size == 1)
            try await Self.expectBooksBalance(store)
        }
    }

    @Test(arguments: Backend.allCases)
    func theDatabaseRefusesASecondActiveLeaseForAPod(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            _ = try await store.createCluster(name: "prod", quota: 10, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 10), actor: Self.admin)
            let (lease, _) = try await store.allocate(try Self.poolRequest("web-0"), actor: Self.admin)
            #expect(lease.phase == .pending)

            let index = backend == .postgres ? "leases_one_active_per_pod" : "leases.cluster, leases.namespace, leases.pod"
            await Self.expectRefusal(.unique, naming: index) {
                try await db.database.query(Self.rawLease(id: "l-raw-1", pod: "web-0"))
            }
            await Self.expectRefusal(.unique, naming: index) {
                try await db.database.query(Self.rawLease(id: "l-raw-2", pod: "web-0", phase: .inUse, goal: .associated))
            }
            // Only active leases hold the pod's name: finished ones, and one on its way out, do not.
            try await db.database.query(Self.rawLease(id: "l-raw-3", pod: "web-0", phase: .released, goal: .released))
            try await db.database.query(Self.rawLease(id: "l-raw-4", pod: "web-0", phase: .failed))
            try await db.database.query(Self.rawLease(id: "l-raw-5", pod: "web-0", phase: .releasing, goal: .released))
            #expect(
                try await Self.count(
                    db.database, "SELECT COUNT(*) AS n FROM leases WHERE pod = 'web-0' AND active = 1 AND goal <> 'released'") == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func theDatabaseRefusesASecondAddressForALeaseAndASecondLeaseForAnAddress(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            _ = try await store.createCluster(name: "prod", quota: 10, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 10), actor: Self.admin)
            let (lease, _) = try await store.allocate(try Self.poolRequest("web-0"), actor: Self.admin)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses WHERE lease_id = \(lease.id)") == 1)

            await Self.expectRefusal(.unique, naming: backend == .postgres ? "addresses_one_per_lease" : "addresses.lease_id") {
                try await db.database.query(
                    """
                    INSERT INTO addresses (id, provider, region, pool, static, parameters, state, lease_id, created_at, updated_at)
                    VALUES ('a-raw-1', 'sim', 'cn-hangzhou', 'web', 0, '{}', 'allocating', \(lease.id), 0, 0)
                    """
                )
            }

            // The lease side: one active lease per allocation id.
            let (held, _) = try await store.allocate(try Self.staticRequest("db-0", eip: "eip-static1"), actor: Self.admin)
            #expect(held.allocationID == "eip-static1")
            await Self.expectRefusal(.unique, naming: backend == .postgres ? "leases_one_active_per_address" : "leases.allocation_id") {
                try await db.database.query(Self.rawLease(id: "l-raw-1", pod: "db-1", allocationID: "eip-static1"))
            }
            // And one address row per allocation id.
            await Self.expectRefusal(.unique, naming: backend == .postgres ? "addresses_allocation_id_key" : "addresses.allocation_id") {
                try await db.database.query(
                    """
                    INSERT INTO addresses (id, allocation_id, provider, region, static, parameters, state, created_at, updated_at)
                    VALUES ('a-raw-2', 'eip-static1', 'sim', 'cn-hangzhou', 1, '{}', 'released', 0, 0)
                    """
                )
            }
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses") == 2)
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM leases") == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func theDatabaseRefusesCountersBeyondTheirLimits(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            _ = try await store.createBandwidthPackage(
                BandwidthPackage(id: "cbwp-1", provider: "sim", region: Self.location.region, maxIPs: 2, createdAt: .now), actor: Self.admin
            )
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 3, packages: ["cbwp-1"]), actor: Self.admin)

            try await db.database.query("UPDATE pools SET size = max_size WHERE name = 'web'")
            await Self.expectRefusal(.check, naming: "pool_capacity") {
                try await db.database.query("UPDATE pools SET size = max_size + 1 WHERE name = 'web'")
            }
            await Self.expectRefusal(.check, naming: "pool_capacity") {
                try await db.database.query("UPDATE pools SET size = -1 WHERE name = 'web'")
            }
            #expect(try await store.pool(named: "web")?.size == 3)

            try await db.database.query("UPDATE bandwidth_packages SET members = 2 WHERE id = 'cbwp-1'")
            await Self.expectRefusal(.check, naming: "bandwidth_package_capacity") {
                try await db.database.query("UPDATE bandwidth_packages SET members = members + 1 WHERE id = 'cbwp-1'")
            }
            #expect(try await store.bandwidthPackage(id: "cbwp-1")?.members == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func aStaticEIPHeldByOneLeaseIsInUseForEveryOther(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 20, location: Self.location, actor: Self.admin)
            _ = try await store.createCluster(name: "dev", quota: 20, location: Self.location, actor: Self.admin)

            let (holder, created) = try await store.allocate(try Self.staticRequest("db-0", eip: "eip-static1"), actor: Self.admin)
            #expect(created)
            #expect(holder.allocationType == .static && holder.allocationID == "eip-static1")

            for (pod, cluster) in [("db-1", "prod"), ("db-0", "dev")] {
                let error = await #expect(throws: BrokerError.self) {
                    _ = try await replica.allocate(try Self.staticRequest(pod, eip: "eip-static1", cluster: cluster), actor: Self.admin)
                }
                #expect(error?.code == .addressInUse)
                #expect(error?.message == "eipInstanceId: EIP eip-static1 is held by pod default/db-0 of cluster prod")
            }
            // Another tenant learns that it is taken, not by whom; the holder's own cluster may know.
            let foreign = await #expect(throws: BrokerError.self) {
                _ = try await replica.allocate(try Self.staticRequest("db-0", eip: "eip-static1", cluster: "dev"), actor: .cluster("dev"))
            }
            #expect(foreign?.code == .addressInUse)
            #expect(foreign?.message == "eipInstanceId: EIP eip-static1 is held by another lease")
            let own = await #expect(throws: BrokerError.self) {
                _ = try await replica.allocate(try Self.staticRequest("db-1", eip: "eip-static1"), actor: .cluster("prod"))
            }
            #expect(own?.message == "eipInstanceId: EIP eip-static1 is held by pod default/db-0 of cluster prod")

            // Many pods racing for one free static EIP: exactly one gets it.
            let requests = try (0..<10).map { try Self.staticRequest("race-\($0)", eip: "eip-static2") }
            let outcomes = try await Self.allocateConcurrently(requests, over: [store, replica])
            #expect(outcomes.filter { $0.code == nil }.count == 1)
            #expect(outcomes.filter { $0.code == .addressInUse }.count == 9)
            #expect(try await store.cluster(named: "prod")?.activeLeases == 2)
            #expect(try await store.cluster(named: "dev")?.activeLeases == 0)

            // Once the holder is released (only unbound: the broker never releases a static EIP),
            // another pod may take it.
            _ = try await store.release(leaseID: holder.id, force: false, scope: nil, actor: Self.admin)
            let work = try await store.claimLeaseWork(owner: "r1", limit: 10, until: .now.adding(milliseconds: 60_000))
            #expect(work.map(\.lease.id).contains(holder.id))
            let plan = try await store.beginRelease(leaseID: holder.id, owner: "r1", actor: "reconciler")
            guard case .finished = plan else {
                Issue.record("a static EIP must not be released in the cloud, got \(plan)")
                return
            }
            #expect(try await store.lease(id: holder.id)?.phase == .released)
            let (next, nextCreated) = try await replica.allocate(try Self.staticRequest("db-1", eip: "eip-static1"), actor: Self.admin)
            #expect(nextCreated && next.id != holder.id && next.allocationID == "eip-static1")
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM addresses WHERE allocation_id = 'eip-static1'") == 1)
            try await Self.expectBooksBalance(store)
        }
    }

    @Test(arguments: Backend.allCases)
    func staticEIPsAndRobbingStayWithinTheClustersTenancy(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            _ = try await store.createCluster(name: "prod", quota: 20, location: Self.location, actor: Self.admin)
            _ = try await store.createCluster(name: "robber", quota: 20, location: Self.location, allowRob: true, actor: Self.admin)
            let shanghai = ClusterLocation(provider: "sim", region: "cn-shanghai")
            _ = try await store.createCluster(name: "west", quota: 20, location: shanghai, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 5), actor: Self.admin)

            // allowRob only for a cluster registered with it (or an admin).
            let robbing = { (cluster: String, eip: String) throws -> AllocationRequest in
                try AllocationRequest.validated(
                    cluster: cluster, namespace: "default", pod: "db-0", podUID: "uid-db-0", pool: nil, eipInstanceID: eip,
                    releaseStrategy: nil, overrides: EIPParameters(), bandwidthPackageID: nil, allowRob: true
                )
            }
            let refused = await #expect(throws: BrokerError.self) {
                _ = try await store.allocate(try robbing("prod", "eip-rob1"), actor: .cluster("prod"))
            }
            #expect(refused?.code == .permissionDenied)
            #expect(refused?.fieldViolations.map(\.field) == ["allowRob"])
            #expect(try await store.cluster(named: "prod")?.activeLeases == 0)
            #expect(try await store.allocate(try robbing("robber", "eip-rob1"), actor: .cluster("robber")).lease.allowRob)
            #expect(try await store.allocate(try robbing("prod", "eip-rob2"), actor: Self.admin).lease.allowRob)

            // A static EIP is recorded in the cluster's own account and region.
            _ = try await store.allocate(try Self.staticRequest("db-9", eip: "eip-hz1"), actor: .cluster("prod"))
            #expect(
                try await Self.count(
                    db.database, "SELECT COUNT(*) AS n FROM addresses WHERE allocation_id = 'eip-hz1' AND region = 'cn-hangzhou'") == 1)
            let westStatic = try await store.allocate(
                try Self.staticRequest("db-9", eip: "eip-sh1", cluster: "west"), actor: .cluster("west"))
            #expect(westStatic.created)
            #expect(
                try await Self.count(
                    db.database, "SELECT COUNT(*) AS n FROM addresses WHERE allocation_id = 'eip-sh1' AND region = 'cn-shanghai'") == 1)
            // A pool of another region is refused to a cluster placed elsewhere.
            let elsewhere = await #expect(throws: BrokerError.self) {
                _ = try await store.allocate(try Self.poolRequest("web-0", cluster: "west"), actor: .cluster("west"))
            }
            #expect(elsewhere?.code == .unprocessable)
            #expect(elsewhere?.fieldViolations.map(\.field) == ["pool"])
            #expect(try await store.cluster(named: "west")?.activeLeases == 1)
            try await Self.expectBooksBalance(store)
        }
    }

    @Test(arguments: Backend.allCases)
    func aFullBandwidthPackageNeverGrowsThePoolPastWhatItHolds(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            // The books' clock stands still: a reservation's claim (a minute) never lapses
            // between the keeper periods below, however slow the machine.
            let store = BrokerStore(database: db.database, clock: ManualClock().wallClock())
            _ = try await store.createCluster(name: "prod", quota: 10, location: Self.location, actor: Self.admin)
            for id in ["cbwp-one", "cbwp-other"] {
                _ = try await store.createBandwidthPackage(
                    BandwidthPackage(id: id, provider: "sim", region: Self.location.region, maxIPs: 1, createdAt: .now), actor: Self.admin
                )
            }
            var settings = Self.poolSettings(maxSize: 20, packages: ["cbwp-one"])
            settings.warm = WarmRange(min: 3, max: 5)
            _ = try await store.createPool(name: "web", settings: settings, actor: Self.admin)
            _ = try await store.createPool(
                name: "other", settings: Self.poolSettings(maxSize: 5, packages: ["cbwp-other"]), actor: Self.admin)

            // Several pool-keeper periods: the package holds one address, so the pool reserves one.
            var reserved: [AddressRecord] = []
            for _ in 0..<5 {
                reserved += try await store.reserveWarmAddresses(limit: 10)
                #expect(try await store.pool(named: "web")?.size == 1)
                try await Self.expectBooksBalance(store)
            }
            #expect(reserved.count == 1)
            try await store.recordWarmAllocated(
                addressID: reserved[0].id, allocationID: "eip-warm1", ipAddress: "198.18.0.1", reported: reserved[0].parameters,
                actor: "keeper")
            for _ in 0..<3 { _ = try await store.reserveWarmAddresses(limit: 10) }
            #expect(try await store.pool(named: "web")?.size == 1)

            // Allocation works up to the real capacity, then says the package is full.
            let (first, _) = try await store.allocate(try Self.poolRequest("web-0"), actor: .cluster("prod"))
            #expect(first.ipAddress == "198.18.0.1")
            let full = await #expect(throws: BrokerError.self) {
                _ = try await store.allocate(try Self.poolRequest("web-1"), actor: .cluster("prod"))
            }
            #expect(full?.code == .bandwidthPackageFull)
            // A cluster may not name another pool's package; an admin may name one of the account's.
            let foreign = try AllocationRequest.validated(
                cluster: "prod", namespace: "default", pod: "web-2", podUID: "uid-web-2", pool: "web", eipInstanceID: nil,
                releaseStrategy: nil, overrides: EIPParameters(), bandwidthPackageID: "cbwp-other", allowRob: false
            )
            let refused = await #expect(throws: BrokerError.self) { _ = try await store.allocate(foreign, actor: .cluster("prod")) }
            #expect(refused?.code == .unprocessable)
            #expect(refused?.fieldViolations.map(\.field) == ["bandwidthPackageId"])
            #expect(try await store.bandwidthPackage(id: "cbwp-other")?.members == 0)
            #expect(try await store.pool(named: "web")?.size == 1)
            #expect(try await store.cluster(named: "prod")?.activeLeases == 1)
            try await Self.expectBooksBalance(store)
        }
    }

    // MARK: Work claiming

    @Test(arguments: Backend.allCases)
    func twoReplicasNeverClaimTheSameLease(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 100, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 100), actor: Self.admin)
            var leaseIDs: Set<String> = []
            for index in 0..<30 {
                leaseIDs.insert(try await store.allocate(try Self.poolRequest("pod-\(index)"), actor: Self.admin).lease.id)
            }

            let until = Timestamp.now.adding(milliseconds: 60_000)
            @Sendable func drain(_ store: BrokerStore, owner: String) async throws -> [String] {
                var claimed: [String] = []
                while true {
                    let batch = try await store.claimLeaseWork(owner: owner, limit: 4, until: until)
                    if batch.isEmpty { return claimed }
                    #expect(batch.count <= 4)
                    #expect(batch.allSatisfy { $0.attempts == 1 && $0.address?.state == .allocating })
                    claimed += batch.map(\.lease.id)
                }
            }
            async let first = drain(store, owner: "replica-1")
            async let second = drain(replica, owner: "replica-2")
            let (one, two) = try await (first, second)

            #expect(one.count + two.count == 30)
            #expect(Set(one).count == one.count && Set(two).count == two.count)
            #expect(Set(one).isDisjoint(with: two))
            #expect(Set(one).union(two) == leaseIDs)
            for (owner, claimed) in [("replica-1", one), ("replica-2", two)] {
                let rows = try await db.database.query("SELECT id FROM leases WHERE claim_owner = \(owner)")
                #expect(Set(rows.compactMap { $0.string("id") }) == Set(claimed))
            }

            // Nothing is left while the claims hold; a let-go lease is due again, for anyone.
            #expect(try await store.claimLeaseWork(owner: "replica-3", limit: 100, until: until).isEmpty)
            let letGo = try #require(one.first ?? two.first)
            let holder = one.contains(letGo) ? "replica-1" : "replica-2"
            try await store.unclaim(leaseID: letGo, owner: "replica-3")
            #expect(try await store.claimLeaseWork(owner: "replica-3", limit: 100, until: until).isEmpty)
            try await store.unclaim(leaseID: letGo, owner: holder)
            let again = try await replica.claimLeaseWork(owner: "replica-3", limit: 100, until: until)
            #expect(again.map(\.lease.id) == [letGo])
            #expect(again.first?.attempts == 2)

            // A claim that expires (a crashed replica) is taken over.
            try await db.database.query("UPDATE leases SET claim_until = \(Timestamp.now.milliseconds - 1) WHERE id = \(letGo)")
            let takenOver = try await store.claimLeaseWork(owner: "replica-1", limit: 100, until: until)
            #expect(takenOver.map(\.lease.id) == [letGo])
            await #expect(throws: ClaimLost.self) {
                try await replica.setPhase(.associating, leaseID: letGo, owner: "replica-3")
            }
        }
    }

    // MARK: Idempotency keys

    @Test(arguments: Backend.allCases)
    func idempotencyKeysStartCompleteAndDetectMisuse(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            let now = Timestamp.now
            func begin(_ store: BrokerStore, _ scope: String, _ key: String, _ hash: String, holder: String = "a") async throws
                -> IdempotencyRecord
            {
                try await store.beginIdempotentRequest(
                    scope: scope, key: key, requestHash: hash, holder: holder, heldUntil: now.adding(.seconds(15)), now: now)
            }

            #expect(try await begin(store, "cluster:prod", "k1", "h1") == .started)
            #expect(try await begin(replica, "cluster:prod", "k1", "h1", holder: "b") == .inProgress)
            #expect(try await begin(replica, "cluster:prod", "k1", "h2", holder: "b") == .mismatch)
            // Keys are per caller.
            #expect(try await begin(store, "cluster:dev", "k1", "h2") == .started)

            // Only the holder answers or abandons a key.
            try await store.completeIdempotentRequest(scope: "cluster:prod", key: "k1", holder: "b", status: 500, body: "")
            try await store.abandonIdempotentRequest(scope: "cluster:prod", key: "k1", holder: "b")
            #expect(try await begin(replica, "cluster:prod", "k1", "h1", holder: "b") == .inProgress)
            try await store.completeIdempotentRequest(scope: "cluster:prod", key: "k1", holder: "a", status: 201, body: #"{"id":"l-1"}"#)
            #expect(try await begin(replica, "cluster:prod", "k1", "h1", holder: "b") == .completed(status: 201, body: #"{"id":"l-1"}"#))
            #expect(try await begin(replica, "cluster:prod", "k1", "h2", holder: "b") == .mismatch)
            // A completed key is not abandoned.
            try await store.abandonIdempotentRequest(scope: "cluster:prod", key: "k1", holder: "a")
            #expect(try await begin(store, "cluster:prod", "k1", "h1") == .completed(status: 201, body: #"{"id":"l-1"}"#))

            // An abandoned key may be used again, even for another request.
            try await store.abandonIdempotentRequest(scope: "cluster:dev", key: "k1", holder: "a")
            #expect(try await begin(store, "cluster:dev", "k1", "h3") == .started)

            // Many callers with one key at once: one goes ahead.
            let outcomes = try await withThrowingTaskGroup(of: IdempotencyRecord.self) { group in
                for index in 0..<12 {
                    let store = index.isMultiple(of: 2) ? store : replica
                    group.addTask { try await begin(store, "cluster:prod", "race", "h", holder: "r\(index)") }
                }
                var outcomes: [IdempotencyRecord] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.filter { $0 == .started }.count == 1)
            #expect(outcomes.filter { $0 == .inProgress }.count == 11)

            try await store.purgeIdempotencyKeys(before: .now.adding(milliseconds: 1_000))
            #expect(try await Self.count(db.database, "SELECT COUNT(*) AS n FROM idempotency_keys") == 0)
            #expect(try await begin(store, "cluster:prod", "k1", "h2") == .started)
        }
    }

    /// A key whose request died unanswered is taken over once its hold has passed; a request
    /// still alive keeps its key by renewing the hold, and loses its answer once taken over.
    @Test(arguments: Backend.allCases)
    func anUnansweredKeyIsTakenOverOnceItsHoldHasPassed(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            let start = Timestamp.now
            func begin(_ store: BrokerStore, holder: String, at now: Timestamp, hash: String = "h") async throws -> IdempotencyRecord {
                try await store.beginIdempotentRequest(
                    scope: "s", key: "k", requestHash: hash, holder: holder, heldUntil: now.adding(.seconds(15)), now: now)
            }

            #expect(try await begin(store, holder: "dead", at: start) == .started)
            #expect(try await begin(replica, holder: "retry", at: start.adding(.seconds(14))) == .inProgress)
            // Past the hold, a different request is still a misuse of the key...
            #expect(try await begin(replica, holder: "retry", at: start.adding(.seconds(16)), hash: "other") == .mismatch)
            // ...and the same one takes it over and runs again.
            #expect(try await begin(replica, holder: "retry", at: start.adding(.seconds(16))) == .started)
            #expect(try await begin(store, holder: "third", at: start.adding(.seconds(17))) == .inProgress)
            // The first request was only slow: its renewal and its answer no longer count.
            #expect(try await store.holdIdempotentRequest(scope: "s", key: "k", holder: "dead", until: start.adding(.seconds(60))) == false)
            try await store.completeIdempotentRequest(scope: "s", key: "k", holder: "dead", status: 201, body: "first")
            // The request that took over renews its hold while it runs, then answers.
            #expect(try await replica.holdIdempotentRequest(scope: "s", key: "k", holder: "retry", until: start.adding(.seconds(60))))
            #expect(try await begin(store, holder: "third", at: start.adding(.seconds(40))) == .inProgress)
            try await replica.completeIdempotentRequest(scope: "s", key: "k", holder: "retry", status: 201, body: "second")
            #expect(try await begin(store, holder: "third", at: start.adding(.seconds(90))) == .completed(status: 201, body: "second"))
        }
    }

    // MARK: Loop leadership

    @Test(arguments: Backend.allCases)
    func oneLeaderPerLoopUntilItsTermEnds(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            let later = Timestamp.now.adding(milliseconds: 60_000)

            #expect(try await store.lead(loop: "pools", owner: "replica-1", until: later))
            #expect(try await !replica.lead(loop: "pools", owner: "replica-2", until: later))
            #expect(try await store.lead(loop: "pools", owner: "replica-1", until: later.adding(milliseconds: 1)))
            #expect(try await !replica.lead(loop: "pools", owner: "replica-2", until: later))
            // Loops are led independently.
            #expect(try await replica.lead(loop: "garbage", owner: "replica-2", until: later))
            #expect(try await !store.lead(loop: "garbage", owner: "replica-1", until: later))

            // A term that runs out is handed over, and the old leader cannot take it back. The
            // leader's last renewal ends its term in the past, so no clock has to run out.
            #expect(try await store.lead(loop: "drift", owner: "replica-1", until: later))
            #expect(try await !replica.lead(loop: "drift", owner: "replica-2", until: later))
            #expect(try await store.lead(loop: "drift", owner: "replica-1", until: .now.adding(milliseconds: -1_000)))
            #expect(try await replica.lead(loop: "drift", owner: "replica-2", until: later))
            #expect(try await !store.lead(loop: "drift", owner: "replica-1", until: later))
            let leaders = try await db.database.query("SELECT loop, owner FROM loop_leaders ORDER BY loop")
            #expect(
                leaders.map { "\($0.string("loop") ?? ""):\($0.string("owner") ?? "")" } == [
                    "drift:replica-2", "garbage:replica-2", "pools:replica-1",
                ])

            // Ten contenders at once: one leader.
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 {
                    let store = index.isMultiple(of: 2) ? store : replica
                    group.addTask { try await store.lead(loop: "race", owner: "replica-\(index)", until: later) }
                }
                var results: [Bool] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.filter { $0 }.count == 1)
        }
    }

    // MARK: Audit log

    @Test(arguments: Backend.allCases)
    func mutationsAppendEventsThatPageByCursor(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { db in
            let store = BrokerStore(database: db.database)
            let replica = BrokerStore(database: try await db.openReplica())
            _ = try await store.createCluster(name: "prod", quota: 10, location: Self.location, actor: Self.admin)
            let dev = try await store.createCluster(name: "dev", quota: 10, location: Self.location, actor: Self.admin)
            _ = try await store.createPool(name: "web", settings: Self.poolSettings(maxSize: 10), actor: Self.admin)
            var leases: [Lease] = []
            for index in 0..<4 {
                leases.append(try await replica.allocate(try Self.poolRequest("pod-\(index)"), actor: .cluster("prod")).lease)
            }
            _ = try await store.allocate(try Self.poolRequest("pod-0", cluster: "dev"), actor: .cluster("dev"))
            _ = try await replica.release(leaseID: leases[1].id, force: false, scope: "prod", actor: .cluster("prod"))
            // Reading and refused calls record nothing.
            _ = try await store.lease(id: leases[0].id)
            _ = try? await store.allocate(try Self.poolRequest("pod-x", pool: "nope"), actor: .cluster("prod"))

            var all: [AuditEvent] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try await (pages.isMultiple(of: 2) ? store : replica).events(
                    subjectID: nil, clusterID: nil, pageSize: 3, pageToken: token)
                #expect(page.items.count <= 3)
                all += page.items
                token = page.nextPageToken
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 3)
            #expect(
                all.map(\.action) == [
                    "cluster.create", "cluster.create", "pool.create", "lease.allocate", "lease.allocate", "lease.allocate",
                    "lease.allocate",
                    "lease.allocate", "lease.release",
                ])
            #expect(zip(all, all.dropFirst()).allSatisfy { $0.id < $1.id })
            #expect(
                all.map(\.actor) == [
                    "admin", "admin", "admin", "cluster:prod", "cluster:prod", "cluster:prod", "cluster:prod", "cluster:dev",
                    "cluster:prod",
                ])
            #expect(all[3].subjectType == "lease" && all[3].subjectID == leases[0].id && all[3].cluster == "prod")
            #expect(all[3].message == "pod default/pod-0 from pool web, address pending")

            let ofLease = try await store.events(subjectID: leases[1].id, clusterID: nil, pageSize: 10, pageToken: nil)
            #expect(ofLease.items.map(\.action) == ["lease.allocate", "lease.release"])
            #expect(ofLease.nextPageToken == nil)
            let ofDev = try await store.events(subjectID: nil, clusterID: dev.id, pageSize: 10, pageToken: nil)
            #expect(ofDev.items.map(\.action) == ["cluster.create", "lease.allocate"])
            // A cursor keeps its place as the log grows.
            let firstPage = try await store.events(subjectID: nil, clusterID: nil, pageSize: 8, pageToken: nil)
            _ = try await store.release(leaseID: leases[2].id, force: true, scope: nil, actor: Self.admin)
            let rest = try await store.events(subjectID: nil, clusterID: nil, pageSize: 8, pageToken: firstPage.nextPageToken)
            #expect(rest.items.map(\.action) == ["lease.release", "lease.release"])
            #expect(rest.items.last?.subjectID == leases[2].id)

            let error = await #expect(throws: BrokerError.self) {
                _ = try await store.events(subjectID: nil, clusterID: nil, pageSize: 3, pageToken: "not a token!")
            }
            #expect(error?.code == .invalidArgument)
        }
    }
}
