import EIPCloud
import EIPCore
import EIPStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// The broker-wide background loop, run by one replica at a time (leadership is a row in the
/// database): keeps each pool's idle addresses within its warm range, releases retained TTL
/// leases whose time is up (their `releaseAt` is in the books, so a restart does not delay
/// them), reports clusters whose agents went silent (keeping their leases), and forgets old
/// idempotency keys.
struct PoolKeeper: Service {
    let store: BrokerStore
    let accounts: CloudAccounts
    let signal: WorkSignal
    let interval: Duration
    let idempotencyRetention: Duration
    let silentClusterAfter: Duration
    let brokerID: String
    let logger: Logger
    let failures: FailureStreak
    let owner = "keeper-" + UUID().uuidString.prefix(8).lowercased()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastPurge = ContinuousClock.now
            while !Task.isCancelled {
                var wait = interval
                do {
                    let leaseMs = Int64(max(1, interval.components.seconds)) * 4000
                    if try await store.lead(loop: "pool-keeper", owner: owner, until: store.clock.timestamp.adding(milliseconds: leaseMs)) {
                        try await runOnce()
                        if ContinuousClock.now - lastPurge > .seconds(60) {
                            let cutoff = store.clock.timestamp.adding(.zero - idempotencyRetention)
                            try await store.purgeIdempotencyKeys(before: cutoff)
                            lastPurge = .now
                        }
                    }
                    failures.succeeded()
                } catch {
                    wait = max(interval, failures.failed(error))
                }
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// One pass: expire TTL leases, fill warm pools, trim surplus idle addresses.
    func runOnce() async throws {
        let expired = try await store.expireRetainedLeases(actor: .admin)
        if !expired.isEmpty {
            logger.info("retained leases expired", metadata: ["leases": "\(expired)"])
            signal.notify()
        }
        let silence = try await store.markSilentClusters(after: silentClusterAfter, actor: brokerID)
        for cluster in silence.newlySilent {
            logger.notice("cluster's agent is silent; its leases are kept", metadata: ["cluster": "\(cluster)"])
        }
        Gauge(label: "eip_broker_silent_clusters").record(silence.silent)
        let reservations = try await store.reserveWarmAddresses(limit: 20)
        await withTaskGroup(of: Void.self) { group in
            for address in reservations { group.addTask { await self.allocateWarm(address) } }
        }
        let surplus = try await store.claimSurplusAddresses(limit: 20)
        await withTaskGroup(of: Void.self) { group in
            for address in surplus { group.addTask { await self.releaseIdle(address) } }
        }
    }

    private func allocateWarm(_ address: AddressRecord) async {
        do {
            let cloud = try accounts.provider(address.provider)
            try await store.markCloudAttempt(addressID: address.id)
            let eip = try await cloud.allocate(
                CloudAllocationRequest(
                    region: address.region, parameters: address.parameters, clientToken: address.id,
                    tags: EIPTags.warm(brokerID: brokerID, pool: address.pool)
                )
            )
            if let package = address.bandwidthPackageID {
                try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: package, region: address.region)
            }
            try await store.recordWarmAllocated(
                addressID: address.id, allocationID: eip.allocationID, ipAddress: eip.ipAddress, reported: eip.parameters, actor: brokerID)
        } catch let error as CloudError where error.isRetryable {
            logger.info("warm allocation will be retried", metadata: ["pool": "\(address.pool ?? "")", "error": "\(error)"])
            try? await store.retryWarmAddress(
                addressID: address.id, at: store.clock.timestamp.adding(milliseconds: max(1000, error.retryAfterMilliseconds ?? 0)))
        } catch let error as CloudError {
            // The cloud refused for good, so it made nothing: give the reservation back.
            logger.warning("warm allocation refused", metadata: ["pool": "\(address.pool ?? "")", "error": "\(error)"])
            try? await store.abandonWarmAddress(addressID: address.id)
        } catch {
            logger.warning("warm allocation failed; will retry", metadata: ["pool": "\(address.pool ?? "")", "error": "\(error)"])
            try? await store.retryWarmAddress(addressID: address.id, at: store.clock.timestamp.adding(milliseconds: 5000))
        }
    }

    private func releaseIdle(_ address: AddressRecord) async {
        do {
            let cloud = try accounts.provider(address.provider)
            if let allocationID = address.allocationID {
                if let package = address.bandwidthPackageID {
                    try await cloud.leaveBandwidthPackage(allocationID: allocationID, bandwidthPackageID: package, region: address.region)
                }
                try await cloud.release(allocationID: allocationID, region: address.region)
            }
            try await store.recordAddressReleased(addressID: address.id, actor: brokerID)
        } catch {
            logger.warning(
                "releasing an idle address failed; will retry",
                metadata: ["address": "\(address.allocationID ?? address.id)", "error": "\(error)"])
        }
    }
}
