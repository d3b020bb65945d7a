import EIPCloud
import EIPCore
import EIPStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drives every lease toward its goal through the cloud: allocate, associate, disassociate,
/// release. Work is claimed from the database with an expiring claim, so replicas share it. A
/// claim lasts ``claimDuration`` and is renewed every third of it while its step runs, so a step
/// may take as long as the cloud needs, yet the claims of a replica that died (or lost the
/// database) pass to the others within ``claimDuration``. Each claim does one step and lets go,
/// so a goal changed meanwhile is seen at the next step.
///
/// On graceful shutdown the workers stop claiming and finish the step they are in (recording
/// its outcome and letting go of the claim), so nothing is left for a peer to wait out.
struct LeaseReconciler: Service {
    let store: BrokerStore
    let accounts: CloudAccounts
    let signal: WorkSignal
    let workers: Int
    let pollInterval: Duration
    let brokerID: String
    let logger: Logger
    /// Identifies this replica's claims.
    let owner = "reconciler-" + UUID().uuidString.prefix(8).lowercased()
    let failures: FailureStreak
    static let claimDuration: Duration = .seconds(15)

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask { await self.work() }
            }
        }
    }

    private func work() async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let claimed = try await store.claimLeaseWork(
                    owner: owner, limit: 1, until: store.clock.timestamp.adding(Self.claimDuration))
                failures.succeeded()
                guard let item = claimed.first else {
                    await signal.wait(timeout: pollInterval)
                    continue
                }
                try await runFenced(item)
                signal.notify()
            } catch {
                try? await Task.sleep(for: failures.failed(error))
            }
        }
    }

    /// Runs the step of a claimed lease while renewing its claim, and cancels the step once the
    /// claim is or may be another replica's: taken over, or not renewed for as long as it lasts
    /// (the database away), since a peer may then have claimed the lease. A cancelled step makes
    /// no further cloud call (a late association would bind an address the books gave away).
    private func runFenced(_ item: LeaseWork) async throws {
        let step = Task { await self.step(item) }
        let renewed = Mutex(ContinuousClock.now)
        try await whileRenewing(every: Self.claimDuration / 3) { [store, owner, logger] in
            do {
                if try await store.renewClaim(leaseID: item.lease.id, owner: owner, until: store.clock.timestamp.adding(Self.claimDuration))
                {
                    renewed.withLock { $0 = .now }
                } else {
                    logger.notice("lease claim taken over while its step ran; stopping the step", metadata: ["lease": "\(item.lease.id)"])
                    step.cancel()
                }
            } catch {
                guard !Task.isCancelled else { return }
                logger.debug("renewing a lease claim failed", metadata: ["lease": "\(item.lease.id)", "error": "\(error)"])
                if ContinuousClock.now - renewed.withLock({ $0 }) >= Self.claimDuration - Self.claimDuration / 3 {
                    logger.notice(
                        "lease claim could not be renewed before it runs out; stopping the step", metadata: ["lease": "\(item.lease.id)"])
                    step.cancel()
                }
            }
        } run: {
            await withTaskCancellationHandler {
                await step.value
            } onCancel: {
                step.cancel()
            }
        }
    }

    /// Does the next step for one claimed lease and records the outcome.
    func step(_ work: LeaseWork) async {
        let lease = work.lease
        do {
            try await CloudRetries.$observer.withValue({ [store, owner] retry in
                let code: BrokerError.Code = retry.throttled ? .cloudThrottled : .cloudUnavailable
                let next = store.clock.timestamp.adding(retry.pause)
                try? await store.noteRetry(
                    leaseID: lease.id, owner: owner,
                    error: "\(code): \(retry.action) failed (\(retry.error)); next try at \(next), attempt \(retry.attempt + 1)"
                )
            }) {
                try await advance(work)
            }
            try await store.unclaim(leaseID: lease.id, owner: owner)
        } catch is ClaimLost {
            logger.debug("lease claim lost", metadata: ["lease": "\(lease.id)"])
        } catch  where Task.isCancelled {
            // Fenced off (its claim is another's) or shutting down: whoever holds the lease next
            // looks at it afresh.
            logger.debug("lease step stopped", metadata: ["lease": "\(lease.id)", "error": "\(error)"])
        } catch let error as CloudError where error.isRetryable {
            let backoff = min(30_000, 200 * (1 << min(work.attempts, 8)))
            let jittered = Int64(Double(backoff) * Double.random(in: 0.5...1.5))
            let delay = max(error.retryAfterMilliseconds ?? 0, jittered)
            logger.info("cloud call will be retried", metadata: ["lease": "\(lease.id)", "error": "\(error)", "retryInMs": "\(delay)"])
            let next = store.clock.timestamp.adding(milliseconds: delay)
            try? await store.deferLease(
                leaseID: lease.id, owner: owner, error: "\(Self.describe(error)); next try at \(next)", retryAt: next)
        } catch let error where !(error is CloudError || error is BrokerError) {
            // Not a verdict of the cloud (a database hiccup, say): keep the books as they are, retry.
            logger.warning("lease step failed; will retry", metadata: ["lease": "\(lease.id)", "error": "\(String(reflecting: error))"])
            let delay = Int64(min(30_000, 500 * (1 << min(work.attempts, 6))))
            let next = store.clock.timestamp.adding(milliseconds: delay)
            try? await store.deferLease(
                leaseID: lease.id, owner: owner, error: "\(Self.describe(error)); next try at \(next)", retryAt: next)
        } catch {
            let message = Self.describe(error)
            logger.warning(
                "lease step failed", metadata: ["lease": "\(lease.id)", "phase": "\(lease.phase.rawValue)", "error": "\(message)"])
            if lease.phase == .pending {
                try? await store.failLease(leaseID: lease.id, owner: owner, error: message, actor: brokerID)
            } else {
                try? await store.settleWithError(leaseID: lease.id, owner: owner, error: message, actor: brokerID)
            }
        }
    }

    /// The lease's `lastError` text: the broker's problem code, then the cloud's own words.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as CloudError:
            return "\(error.brokerCode): \(error)"
        case let error as BrokerError:
            return error.description
        default:
            return "Internal: \(error)"
        }
    }

    private func advance(_ work: LeaseWork) async throws {
        switch work.lease.nextStep {
        case .allocate: try await allocate(work)
        case .associate: try await associate(work.lease, address: work.address)
        case .disassociate: try await disassociate(work.lease, address: work.address)
        case .release: try await release(work.lease)
        case nil: break // settled, or a phase no goal leads from
        }
    }

    private func allocate(_ work: LeaseWork) async throws {
        let lease = work.lease
        guard let address = work.address else {
            throw BrokerError(.internalError, "pending lease \(lease.id) has no address reservation")
        }
        if lease.goal == .released, !address.cloudAttempted {
            // Released before the cloud ever heard of it: give the reservation back.
            _ = try await store.beginRelease(leaseID: lease.id, owner: owner, actor: brokerID)
            return
        }
        let cloud = try accounts.provider(address.provider)
        if address.isStatic, let allocationID = address.allocationID {
            guard let eip = try await cloud.describe(allocationID: allocationID, region: address.region) else {
                throw BrokerError(.notFound, "EIP \(allocationID) does not exist in \(address.provider)/\(address.region)")
            }
            if eip.status != .available, eip.privateIPAddress != lease.privateIPAddress || lease.privateIPAddress == nil, !lease.allowRob {
                throw BrokerError(
                    .addressInUse,
                    "EIP \(allocationID) is \(eip.status.rawValue) on \(eip.instanceID ?? "another instance"); set allowRob to take it")
            }
            try await store.recordAllocated(
                leaseID: lease.id, owner: owner, allocationID: allocationID, ipAddress: eip.ipAddress, reported: eip.parameters,
                actor: brokerID)
            return
        }
        try await store.markCloudAttempt(addressID: address.id)
        let eip = try await cloud.allocate(
            CloudAllocationRequest(
                region: address.region, parameters: address.parameters, clientToken: address.id,
                tags: EIPTags.leased(
                    brokerID: brokerID, pool: address.pool, leaseID: lease.id, cluster: lease.cluster, namespace: lease.namespace,
                    pod: lease.pod)
            )
        )
        // From here on the cloud holds an EIP: a final error must give it back, never fail the
        // lease (failing forgets the reservation and would leak the EIP).
        if let package = address.bandwidthPackageID, lease.goal != .released {
            do {
                try await cloud.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: package, region: address.region)
            } catch let error as CloudError where !error.isRetryable {
                try await store.recordUnusableAllocation(
                    leaseID: lease.id, owner: owner, allocationID: eip.allocationID, ipAddress: eip.ipAddress, error: Self.describe(error),
                    actor: brokerID
                )
                return
            }
        }
        try await store.recordAllocated(
            leaseID: lease.id, owner: owner, allocationID: eip.allocationID, ipAddress: eip.ipAddress, reported: eip.parameters,
            actor: brokerID)
    }

    private func associate(_ lease: Lease, address: AddressRecord?) async throws {
        guard let allocationID = lease.allocationID, let privateIP = lease.privateIPAddress, let address else {
            throw BrokerError(.internalError, "lease \(lease.id) has no address or private IP to associate")
        }
        let cloud = try accounts.provider(address.provider)
        let eni: String
        if let given = lease.networkInterfaceID {
            // Checked against the cluster's VPCs when the associate was accepted.
            eni = given
        } else {
            let vpcIDs = try await store.cluster(named: lease.cluster)?.location.vpcIDs ?? []
            eni = try await cloud.networkInterface(
                privateIPAddress: privateIP, networkInterfaceID: nil, region: address.region, vpcIDs: vpcIDs)
        }
        if lease.phase != .associating { try await store.setPhase(.associating, leaseID: lease.id, owner: owner) }
        try await cloud.associate(
            allocationID: allocationID, networkInterfaceID: eni, privateIPAddress: privateIP, region: address.region, force: lease.allowRob)
        try await store.recordAssociated(
            leaseID: lease.id, owner: owner, networkInterfaceID: eni, privateIPAddress: privateIP, actor: brokerID)
    }

    private func disassociate(_ lease: Lease, address: AddressRecord?) async throws {
        if lease.phase != .disassociating { try await store.setPhase(.disassociating, leaseID: lease.id, owner: owner) }
        if let allocationID = lease.allocationID, let address {
            try await accounts.provider(address.provider).unassociate(allocationID: allocationID, region: address.region)
        }
        try await store.recordDisassociated(leaseID: lease.id, owner: owner, actor: brokerID)
    }

    /// An address on its way out of the books that the cloud shows bound (a late association of
    /// a step whose claim had passed to another replica, or one made by hand): nothing may keep
    /// it, so it is unbound, and the finding is an audit event. Any other refusal stands.
    private func unbindStray(_ lease: Lease, address: AddressRecord, allocationID: String, cloud: any CloudProvider, refusal: CloudError)
        async throws
    {
        guard let eip = try await cloud.describe(allocationID: allocationID, region: address.region),
            eip.status == .inUse || eip.status == .associating
        else {
            throw refusal
        }
        logger.notice(
            "an EIP being released is still bound; unbinding it first",
            metadata: ["lease": "\(lease.id)", "allocationID": "\(allocationID)", "instance": "\(eip.instanceID ?? "-")"])
        try await cloud.unassociate(allocationID: allocationID, region: address.region)
        try await store.recordDriftFinding(
            "drift.association", allocationID: allocationID, cluster: lease.cluster,
            message:
                "\(allocationID) was \(eip.status.rawValue) on \(eip.instanceID ?? "an instance") while lease \(lease.id) released it: unbound, then released",
            actor: brokerID
        )
    }

    private func release(_ lease: Lease) async throws {
        switch try await store.beginRelease(leaseID: lease.id, owner: owner, actor: brokerID) {
        case .finished:
            return
        case .releaseInCloud(let address):
            let cloud = try accounts.provider(address.provider)
            if let allocationID = address.allocationID {
                if let package = address.bandwidthPackageID {
                    try await cloud.leaveBandwidthPackage(allocationID: allocationID, bandwidthPackageID: package, region: address.region)
                }
                do {
                    try await cloud.release(allocationID: allocationID, region: address.region)
                } catch let error as CloudError where error.code == "IncorrectEipStatus" {
                    try await unbindStray(lease, address: address, allocationID: allocationID, cloud: cloud, refusal: error)
                    try await cloud.release(allocationID: allocationID, region: address.region)
                }
            }
            try await store.finishCloudRelease(leaseID: lease.id, owner: owner, actor: brokerID)
        }
    }
}
