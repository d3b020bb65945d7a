import EIPAPI
package import EIPCore

extension PodEIP {
    /// The PodEIP that shows a lease as the broker answered it: the seed's spec and status
    /// fields, with `status.status` the lease's phase. `status.eipAddress` is shown only once the
    /// EIP is bound (`InUse`): OpenKruise Game reports a pod's network Ready as soon as it is set.
    package init(brokerLease lease: BrokerLease) {
        let strategy =
            ReleaseStrategy(
                kind: lease.releaseStrategy.rawValue, ttlMilliseconds: lease.releaseAfter.flatMap(GoDuration.milliseconds)
            ) ?? .follow
        self.init(
            spec: PodEIPSpec(
                allocationID: lease.allocationId, bandwidthPackageID: lease.bandwidthPackageId,
                allocationType: PodEIPAllocationType(
                    type: AllocationType(rawValue: lease.allocationType.rawValue) ?? .auto, releaseStrategy: strategy
                )
            ),
            status: PodEIPStatus(
                eipAddress: lease.phase == .inUse ? lease.ipAddress : nil, internetChargeType: lease.internetChargeType, isp: lease.isp,
                networkInterfaceID: lease.networkInterfaceId, podLastSeen: lease.podLastSeen.map(Timestamp.init),
                privateIPAddress: lease.privateIpAddress, publicIpAddressPoolID: lease.publicIpAddressPoolId,
                resourceGroupID: lease.resourceGroupId, name: lease.name, bandwidthPackageID: lease.bandwidthPackageId,
                status: lease.phase.rawValue
            )
        )
    }
}
