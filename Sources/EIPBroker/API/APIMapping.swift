import EIPAPI
import EIPCore
import Foundation

/// Conversions between the generated API types and the domain's.
extension Components.Schemas.Lease {
    init(_ lease: Lease) {
        let parameters = lease.shownParameters
        self.init(
            id: lease.id, cluster: lease.cluster, namespace: lease.namespace, pod: lease.pod, podUid: lease.podUID, pool: lease.pool,
            allocationType: lease.allocationType == .static ? ._static : .auto,
            releaseStrategy: Components.Schemas.ReleaseStrategyKind(rawValue: lease.releaseStrategy.kind) ?? .follow,
            releaseAfter: lease.releaseStrategy.releaseAfter,
            phase: Components.Schemas.LeasePhase(rawValue: lease.phase.rawValue) ?? .failed,
            allocationId: lease.allocationID, ipAddress: lease.ipAddress, isp: parameters.isp, bandwidth: parameters.bandwidth,
            internetChargeType: parameters.internetChargeType, instanceChargeType: parameters.instanceChargeType,
            bandwidthPackageId: lease.bandwidthPackageID, publicIpAddressPoolId: parameters.publicIpAddressPoolId,
            resourceGroupId: parameters.resourceGroupId, name: parameters.name, description: parameters.description,
            networkInterfaceId: lease.networkInterfaceID, privateIpAddress: lease.privateIPAddress, podLastSeen: lease.podLastSeen?.date,
            retained: lease.retained, releaseAt: lease.releaseAt?.date, lastError: lease.lastError, createdAt: lease.createdAt.date,
            updatedAt: lease.updatedAt.date
        )
    }
}

extension Components.Schemas.Pool {
    init(_ pool: Pool) {
        self.init(
            name: pool.name, provider: pool.provider, region: pool.region, maxSize: pool.maxSize,
            warm: .init(min: pool.warm.min, max: pool.warm.max), idle: pool.idle, leased: pool.leased, size: pool.size,
            bandwidth: pool.defaults.bandwidth, internetChargeType: pool.defaults.internetChargeType,
            instanceChargeType: pool.defaults.instanceChargeType, isp: pool.defaults.isp,
            publicIpAddressPoolId: pool.defaults.publicIpAddressPoolId, resourceGroupId: pool.defaults.resourceGroupId,
            bandwidthPackages: pool.bandwidthPackages, clusters: pool.clusters, createdAt: pool.createdAt.date,
            updatedAt: pool.updatedAt.date
        )
    }
}

extension Components.Schemas.Cluster {
    init(_ cluster: Cluster) {
        self.init(
            id: cluster.id, name: cluster.name, provider: cluster.location.provider, region: cluster.location.region,
            vpcIds: cluster.location.vpcIDs, allowRob: cluster.allowRob, quota: cluster.quota, activeLeases: cluster.activeLeases,
            lastHeartbeat: cluster.lastHeartbeat?.date, silent: cluster.silentSince != nil, silentSince: cluster.silentSince?.date,
            createdAt: cluster.createdAt.date
        )
    }
}

extension Components.Schemas.BandwidthPackage {
    init(_ package: BandwidthPackage) {
        self.init(
            id: package.id, provider: package.provider, region: package.region, maxIps: package.maxIPs, members: package.members,
            discoveredFor: package.discoveredFor, createdAt: package.createdAt.date)
    }
}

extension Components.Schemas.Event {
    init(_ event: AuditEvent) {
        self.init(
            id: String(event.id), at: event.at.date, actor: event.actor, action: event.action, subjectType: event.subjectType,
            subjectId: event.subjectID, cluster: event.cluster, message: event.message
        )
    }
}

/// Checks of query parameters shared by several operations.
enum QueryRules {
    /// `pageSize`: 1 to 1000, 100 when absent.
    static func pageSize(_ value: Int?) throws(BrokerError) -> Int {
        guard let value else { return 100 }
        guard (1...1000).contains(value) else { throw .invalid("pageSize", "must be between 1 and 1000 (got \(value))") }
        return value
    }

    /// `wait`: 0 up to the configured maximum.
    static func wait(_ value: Int?, maximum: Int) throws(BrokerError) -> Int {
        guard let value else { return 0 }
        guard (0...maximum).contains(value) else { throw .invalid("wait", "must be between 0 and \(maximum) seconds (got \(value))") }
        return value
    }
}
