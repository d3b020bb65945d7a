/// What a pod's annotations ask of the broker: an EIP from a pool, shaped by overrides, or a
/// given static EIP; and how long the address outlives the pod.
///
/// Made by ``PodEIPRequestParser/parse(annotations:defaultPool:)``; turned into the body of
/// `POST /v1/leases` by ``allocateFields(cluster:namespace:pod:podUID:allowRob:)``.
public struct PodEIPRequest: Sendable, Hashable {
    /// Where the address comes from.
    public enum Source: Sendable, Hashable {
        /// A new (or warm) address of this broker pool (`k8s.aliyun.com/pod-with-eip: "true"`).
        case pool(String)
        /// This existing EIP (`k8s.aliyun.com/pod-eip-instanceid`), bound but never released.
        case `static`(allocationID: String)
    }

    public var source: Source
    /// The cloud parameters the annotations set. A field left `nil` takes the pool's default:
    /// the seed's defaults (such as `PayByTraffic`) are the pool's to set, not the agent's.
    /// Always empty for a static EIP.
    public var overrides: EIPParameters
    /// The shared bandwidth package (`cbwp-...`) to join, overriding the pool's packages.
    public var bandwidthPackageID: String?
    public var releaseStrategy: ReleaseStrategy

    public init(
        source: Source, overrides: EIPParameters = EIPParameters(), bandwidthPackageID: String? = nil,
        releaseStrategy: ReleaseStrategy = .follow
    ) {
        self.source = source
        self.overrides = overrides
        self.bandwidthPackageID = bandwidthPackageID
        self.releaseStrategy = releaseStrategy
    }

    /// `Auto` for a pool's address, `Static` for a given EIP: the PodEIP's `allocationType.type`.
    public var allocationType: AllocationType {
        switch source {
        case .pool: .auto
        case .static: .static
        }
    }

    /// The fields of the broker's `AllocateRequest` for this pod.
    /// - Parameters:
    ///   - cluster: The pod's cluster; `nil` with a cluster token, which implies it.
    ///   - namespace: The pod's namespace.
    ///   - pod: The pod's name.
    ///   - podUID: The pod's `metadata.uid`.
    ///   - allowRob: The agent's setting (Terway's `allow_eip_rob`): take a static EIP bound
    ///     elsewhere. Sent only with a static EIP, the only case it applies to.
    public func allocateFields(
        cluster: String? = nil, namespace: String, pod: String, podUID: String, allowRob: Bool = false
    ) -> PodEIPAllocateFields {
        var fields = PodEIPAllocateFields(
            cluster: cluster, namespace: namespace, pod: pod, podUID: podUID,
            releaseStrategy: releaseStrategy.annotationValue
        )
        switch source {
        case .pool(let pool):
            fields.pool = pool
            fields.overrides = overrides
            fields.bandwidthPackageID = bandwidthPackageID
        case .static(let allocationID):
            fields.eipInstanceID = allocationID
            fields.allowRob = allowRob ? true : nil
        }
        return fields
    }
}

extension ReleaseStrategy {
    /// The strategy as the annotation and the API's `releaseStrategy` spell it: `Follow`, `Never`
    /// or a Go duration.
    var annotationValue: String { releaseAfter ?? kind }
}
