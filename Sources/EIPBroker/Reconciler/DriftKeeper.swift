import EIPCloud
import EIPCore
import EIPStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Compares the cloud with the books, one replica at a time (leadership is a row in the
/// database), every ``interval``, in every account and region the books use, and repairs what
/// drifted. Only EIPs tagged `eip-broker/owner=<broker id>` are ever looked at or touched.
///
/// - An **orphan** (tagged, in the cloud, not in the books) seen for ``orphanGrace`` (so an
///   allocation whose answer is being recorded is not one) is adopted into the pool its
///   `eip-broker/pool` tag names as idle, when that pool has room; otherwise it is released.
/// - A **lost** address (in the books, gone from the cloud, checked once more by id) fails its
///   lease with the reason and frees its pool slot and package seat. Static EIPs are the
///   user's, not tagged as the broker's, and are not looked for.
/// - A **changed association** (a lease `InUse` whose EIP the cloud shows unbound or bound
///   elsewhere) is reported and the lease sent back to be bound again.
/// - **Stale tags**: a warm address handed to a lease is retagged (``EIPTags``) for that lease.
///
/// Each finding is an audit event and a count in `eip_broker_drift_findings_total{kind}`.
struct DriftKeeper: Service {
    let store: BrokerStore
    let accounts: CloudAccounts
    let signal: WorkSignal
    let interval: Duration
    let orphanGrace: Duration
    let brokerID: String
    let logger: Logger
    let failures: FailureStreak
    let owner = "drift-" + UUID().uuidString.prefix(8).lowercased()
    /// When each orphan was first seen by this replica (a new leader starts the grace again).
    let sightings = OrphanSightings()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var wait = interval
                do {
                    if try await store.lead(loop: "drift", owner: owner, until: store.clock.timestamp.adding(interval * 3)) {
                        try await runOnce()
                    }
                    failures.succeeded()
                } catch {
                    wait = max(min(interval, .seconds(2)), failures.failed(error))
                }
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// One pass over every account and region the books use.
    func runOnce() async throws {
        for scope in try await store.driftScopes() where accounts.contains(scope.provider) {
            try await compare(provider: scope.provider, region: scope.region)
        }
    }

    private func compare(provider: String, region: String) async throws {
        let cloud = try accounts.provider(provider)
        // The books first: what is booked after this read and is in the listing only looks
        // like an orphan, which the grace covers.
        let booked = try await store.bookedEIPs(provider: provider, region: region)
        let listed = try await cloud.describeTagged(key: EIPTags.owner, value: brokerID, region: region)
        let inCloud = Dictionary(listed.map { ($0.allocationID, $0) }, uniquingKeysWith: { first, _ in first })
        let inBooks = Set(booked.compactMap(\.address.allocationID))

        for entry in booked {
            guard let allocationID = entry.address.allocationID else { continue }
            if let eip = inCloud[allocationID] {
                try await checkTags(entry, eip: eip, cloud: cloud)
                try await checkAssociation(entry, eip: eip)
            } else if !entry.address.isStatic, entry.address.state == .idle || entry.address.state == .leased,
                try await cloud.describe(allocationID: allocationID, region: region) == nil
            {
                if try await store.markLost(addressID: entry.address.id, allocationID: allocationID, actor: brokerID) {
                    found("lost", "address \(allocationID) is gone from the cloud", ["lease": "\(entry.leaseID ?? "")"])
                    signal.notify()
                }
            }
        }

        let now = ContinuousClock.now
        let orphans = listed.filter { !inBooks.contains($0.allocationID) }
        sightings.keep(only: Set(orphans.map(\.allocationID)))
        for eip in orphans {
            guard now - sightings.firstSeen(eip.allocationID, at: now) >= orphanGrace else { continue }
            if try await settle(orphan: eip, provider: provider, cloud: cloud) { sightings.forget(eip.allocationID) }
        }
    }

    /// A warm address handed to a lease still carries its first owner's tags (or none): they
    /// are rewritten to name the lease it serves.
    private func checkTags(_ entry: BookedEIP, eip: CloudEIP, cloud: any CloudProvider) async throws {
        guard entry.address.state == .leased, let leaseID = entry.leaseID, eip.tags[EIPTags.lease] != leaseID,
            let cluster = entry.leaseCluster, let namespace = entry.leaseNamespace, let pod = entry.leasePod
        else { return }
        let tags = EIPTags.leased(
            brokerID: brokerID, pool: entry.address.pool, leaseID: leaseID, cluster: cluster, namespace: namespace, pod: pod)
        try await cloud.tag(allocationID: eip.allocationID, with: tags, region: eip.region)
        let before = eip.tags[EIPTags.lease].map { "lease \($0)" } ?? "no lease"
        try await store.recordDriftFinding(
            "drift.retagged", allocationID: eip.allocationID, cluster: cluster,
            message: "\(eip.allocationID) serves lease \(leaseID) (\(namespace)/\(pod)) but was tagged for \(before): tags rewritten",
            actor: brokerID
        )
        found("retagged", "\(eip.allocationID) retagged for lease \(leaseID)", ["lease": "\(leaseID)"])
    }

    private func checkAssociation(_ entry: BookedEIP, eip: CloudEIP) async throws {
        guard entry.leasePhase == .inUse, entry.leaseGoal == .associated, let leaseID = entry.leaseID, let wanted = entry.networkInterfaceID
        else { return }
        guard eip.status != .inUse || eip.instanceID != wanted else { return }
        let found = eip.status == .inUse ? "bound to \(eip.instanceID ?? "another instance")" : eip.status.rawValue
        if try await store.restoreAssociation(leaseID: leaseID, networkInterfaceID: wanted, found: found, actor: brokerID) {
            self.found("association", "lease \(leaseID) was \(found) instead of \(wanted)", ["lease": "\(leaseID)"])
            signal.notify()
        }
    }

    /// Adopts or releases an orphan. - Returns: whether it is settled (else it is looked at again).
    private func settle(orphan eip: CloudEIP, provider: String, cloud: any CloudProvider) async throws -> Bool {
        let pool = eip.tags[EIPTags.pool].flatMap { $0.isEmpty || eip.status != .available ? nil : $0 }
        switch try await store.adoptOrphan(
            OrphanEIP(
                allocationID: eip.allocationID, ipAddress: eip.ipAddress, region: eip.region, parameters: eip.parameters,
                bandwidthPackageID: eip.bandwidthPackageID),
            provider: provider, pool: pool, actor: brokerID
        ) {
        case .adopted:
            found("orphan-adopted", "orphan \(eip.allocationID) adopted into pool \(pool ?? "")", [:])
            return true
        case .undecided:
            return false
        case .homeless:
            break
        }
        guard eip.status == .available else {
            // Bound to something: never unbound behind its user's back; reported again after each grace.
            found("orphan-bound", "orphan \(eip.allocationID) is \(eip.status.rawValue) on \(eip.instanceID ?? "?"); left alone", [:])
            return true
        }
        if let package = eip.bandwidthPackageID {
            try await cloud.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: package, region: eip.region)
        }
        try await cloud.release(allocationID: eip.allocationID, region: eip.region)
        try await store.recordDriftFinding(
            "drift.orphan.released", allocationID: eip.allocationID, cluster: nil,
            message: "\(eip.allocationID) \(eip.ipAddress) was in the cloud but not in the books, and no pool could take it: released",
            actor: brokerID
        )
        found("orphan-released", "orphan \(eip.allocationID) released: no pool could take it", [:])
        return true
    }

    private func found(_ kind: String, _ message: String, _ metadata: Logger.Metadata) {
        Counter(label: "eip_broker_drift_findings_total", dimensions: [("kind", kind)]).increment()
        logger.notice("drift: \(message)", metadata: metadata)
    }
}

/// When each orphan was first seen, so one is acted on only after the grace period.
final class OrphanSightings: Sendable {
    private let seen = Mutex<[String: ContinuousClock.Instant]>([:])

    func firstSeen(_ allocationID: String, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        seen.withLock { seen in
            if let first = seen[allocationID] { return first }
            seen[allocationID] = now
            return now
        }
    }

    /// Forgets EIPs no longer orphaned (booked meanwhile, or gone).
    func keep(only current: Set<String>) {
        seen.withLock { seen in seen = seen.filter { current.contains($0.key) } }
    }

    func forget(_ allocationID: String) {
        _ = seen.withLock { $0.removeValue(forKey: allocationID) }
    }
}
