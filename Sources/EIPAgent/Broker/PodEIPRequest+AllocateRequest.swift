package import EIPAPI
package import EIPCore

extension PodEIPRequest {
    /// The body of the broker's `POST /v1/leases` for this pod, in the generated type.
    /// - Parameters:
    ///   - cluster: The pod's cluster; `nil` with a cluster token, which implies it.
    ///   - namespace: The pod's namespace.
    ///   - pod: The pod's name.
    ///   - podUID: The pod's `metadata.uid`.
    ///   - allowRob: The agent's setting (Terway's `allow_eip_rob`): take a static EIP bound
    ///     elsewhere. Sent only with a static EIP, the only case it applies to.
    package func allocateRequest(
        cluster: String? = nil, namespace: String, pod: String, podUID: String, allowRob: Bool = false
    ) -> Components.Schemas.AllocateRequest {
        var body = Components.Schemas.AllocateRequest(
            cluster: cluster, namespace: namespace, pod: pod, podUid: podUID, releaseStrategy: releaseStrategy.annotationValue)
        switch source {
        case .pool(let pool):
            body.pool = pool
            body.bandwidth = overrides.bandwidth
            body.internetChargeType = overrides.internetChargeType
            body.instanceChargeType = overrides.instanceChargeType
            body.isp = overrides.isp
            body.bandwidthPackageId = bandwidthPackageID
            body.publicIpAddressPoolId = overrides.publicIpAddressPoolId
            body.resourceGroupId = overrides.resourceGroupId
            body.name = overrides.name
            body.description = overrides.description
        case .static(let allocationID):
            body.eipInstanceId = allocationID
            body.allowRob = allowRob ? true : nil
        }
        return body
    }
}
