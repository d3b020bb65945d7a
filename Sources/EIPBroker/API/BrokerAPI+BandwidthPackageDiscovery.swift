import EIPCloud
import EIPCore
import EIPStore

extension BrokerAPI {
    /// A pod may name a shared bandwidth package nobody registered, as ACK joins any package of
    /// the account (`k8s.aliyun.com/eip-common-bandwidth-package-id`): the broker asks the pool's
    /// account for it (`DescribeCommonBandwidthPackages`) and registers it with the room the
    /// cloud leaves (the account's per-package limit less the EIPs already in it), marked
    /// as found for that pool (``BandwidthPackage/discoveredFor``: its clusters may name it,
    /// others not); or refuses with what the cloud answered.
    ///
    /// Only for a pool the caller's cluster may use, in the cluster's own account and region:
    /// the cloud is never asked on behalf of a pool the caller could not allocate from (the
    /// allocation itself then says why). A registered package is left as it is.
    /// - Throws: `Unprocessable` on `bandwidthPackageId` when the cloud has no such package (or
    ///   refuses to say), `BandwidthPackageFull` when it has no room, `CloudThrottled` or
    ///   `CloudUnavailable` when the cloud could not answer.
    func discoverBandwidthPackage(_ id: String, pool poolName: String, cluster clusterName: String, caller: Principal) async throws {
        guard try await store.bandwidthPackage(id: id) == nil else { return }
        guard let cluster = try await store.cluster(named: clusterName), let pool = try await store.pool(named: poolName),
            pool.admits(cluster: clusterName), pool.provider == cluster.location.provider, pool.region == cluster.location.region
        else { return }
        let account = "\(pool.provider)/\(pool.region)"
        let found: CloudBandwidthPackage?
        do {
            found = try await accounts.provider(pool.provider).describeBandwidthPackage(id: id, region: pool.region)
        } catch let error as CloudError where !error.isRetryable {
            throw BrokerError.unprocessable(
                "bandwidthPackageId", "bandwidth package '\(id)' could not be looked up in \(account): \(error)")
        }
        guard let found else {
            throw BrokerError.unprocessable(
                "bandwidthPackageId",
                "bandwidth package '\(id)' does not exist in \(account) (InvalidBandwidthPackageId.NotFound: DescribeCommonBandwidthPackages found none)"
            )
        }
        guard found.room > 0 else {
            throw BrokerError(
                .bandwidthPackageFull,
                "bandwidthPackageId: bandwidth package '\(id)' holds \(found.allocationIDs.count) EIPs, its account's limit of \(found.ipLimit)"
            )
        }
        _ = try await store.registerDiscoveredBandwidthPackage(
            BandwidthPackage(
                id: id, provider: pool.provider, region: pool.region, maxIPs: found.room, discoveredFor: pool.name,
                createdAt: store.clock.timestamp
            ),
            actor: caller)
    }
}
