import EIPAPI
import EIPCloud
import EIPCore
import EIPStore

extension BrokerAPI {
    /// `POST /v1/lease-imports` (admin): an EIP that already serves a pod becomes its lease,
    /// without a cloud change but tags. The cloud is read first: the EIP must exist in the
    /// cluster's account and region and, when bound, be bound to the pod's IP on an ENI of the
    /// cluster's VPCs. A pool's EIP is then tagged as the broker's (again on every import of
    /// it, so a failed tagging is mended by importing again).
    func importLease(_ input: Operations.ImportLease.Input) async throws -> Operations.ImportLease.Output {
        let caller = try BrokerRequestContext.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        let isStatic = body.allocationType == ._static
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isCloudID(body.allocationId, prefix: "eip-") {
            violations.append(.init(field: "allocationId", rule: "must look like eip-xxxx (got '\(body.allocationId.prefix(80))')"))
        }
        if isStatic, body.pool != nil {
            violations.append(.init(field: "pool", rule: "must not be given with a Static EIP: it belongs to no pool", isContextual: true))
        }
        if !isStatic, body.pool == nil {
            violations.append(.init(field: "pool", rule: "is required with an Auto EIP: the pool it joins", isContextual: true))
        }
        if let ip = body.privateIpAddress, !Validation.isIPv4(ip) {
            violations.append(.init(field: "privateIpAddress", rule: "must be an IPv4 address (got '\(ip.prefix(80))')"))
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let request = try AllocationRequest.validated(
            cluster: body.cluster, namespace: body.namespace, pod: body.pod, podUID: body.podUid, pool: isStatic ? nil : body.pool,
            eipInstanceID: isStatic ? body.allocationId : nil, releaseStrategy: body.releaseStrategy, overrides: EIPParameters(),
            bandwidthPackageID: nil, allowRob: false
        )
        guard let cluster = try await store.cluster(named: body.cluster) else {
            throw BrokerError.unprocessable("cluster", "cluster '\(body.cluster)' does not exist")
        }
        let location = cluster.location
        let cloud = try accounts.provider(location.provider)
        guard let eip = try await cloud.describe(allocationID: body.allocationId, region: location.region) else {
            throw BrokerError(
                .notFound, "allocationId: EIP \(body.allocationId) does not exist in \(location.provider)/\(location.region)",
                fieldViolations: [.init(field: "allocationId", rule: "must be an EIP of the cluster's account and region")])
        }
        let networkInterfaceID = try await boundInterface(of: eip, podIP: body.privateIpAddress, cluster: cluster, cloud: cloud)
        if !isStatic, let package = eip.bandwidthPackageID, let pool = body.pool {
            try await discoverBandwidthPackage(package, pool: pool, cluster: cluster.name, caller: caller)
        }
        let imported = ImportedEIP(
            allocationID: eip.allocationID, ipAddress: eip.ipAddress, parameters: eip.parameters,
            bandwidthPackageID: eip.bandwidthPackageID,
            networkInterfaceID: networkInterfaceID, privateIPAddress: networkInterfaceID == nil ? nil : eip.privateIPAddress,
            brokersOwn: eip.tags[EIPTags.owner] == configuration.brokerID
        )
        let (lease, created) = try await store.importLease(request, eip: imported, actor: caller)
        if !isStatic {
            let tags = EIPTags.leased(
                brokerID: configuration.brokerID, pool: lease.pool, leaseID: lease.id, cluster: lease.cluster, namespace: lease.namespace,
                pod: lease.pod)
            try await cloud.tag(allocationID: eip.allocationID, with: tags, region: location.region)
        }
        let answer = Components.Schemas.Lease(lease)
        return created ? .created(.init(body: .json(answer))) : .ok(.init(body: .json(answer)))
    }

    /// The ENI a bound EIP is on, checked to be one of the cluster's VPCs and to hold the pod's
    /// IP; `nil` for an EIP that is not bound.
    private func boundInterface(of eip: CloudEIP, podIP: String?, cluster: Cluster, cloud: any CloudProvider) async throws -> String? {
        switch eip.status {
        case .available:
            return nil
        case .inUse:
            guard let bound = eip.privateIPAddress, let podIP, bound == podIP, let instance = eip.instanceID else {
                throw BrokerError(
                    .addressInUse,
                    "allocationId: EIP \(eip.allocationID) is bound to \(eip.privateIPAddress ?? "an instance") on \(eip.instanceID ?? "-"), "
                        + "not to the pod's IP \(podIP ?? "(privateIpAddress not given)")",
                    fieldViolations: [.init(field: "privateIpAddress", rule: "must be the address the EIP is bound to")])
            }
            do {
                return try await cloud.networkInterface(
                    privateIPAddress: podIP, networkInterfaceID: instance, region: cluster.location.region, vpcIDs: cluster.location.vpcIDs)
            } catch let error as CloudError where error.kind == .notFound || error.kind == .rejected {
                throw BrokerError(
                    .addressInUse, "allocationId: EIP \(eip.allocationID) is bound to \(instance), which is not in the cluster's VPCs",
                    fieldViolations: [.init(field: "allocationId", rule: "must be bound within the cluster's VPCs")])
            }
        default:
            throw BrokerError(
                .cloudUnavailable, "allocationId: EIP \(eip.allocationID) is \(eip.status.rawValue); import it once it has settled",
                retryAfter: 5)
        }
    }
}
