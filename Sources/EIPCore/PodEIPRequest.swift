/// What a pod's annotations ask of the broker: an EIP from a pool, shaped by overrides, or a
/// given static EIP; and how long the address outlives the pod.
///
/// Made by ``PodEIPRequestParser/parse(annotations:defaultPool:)``; the agent turns it into the
/// body of `POST /v1/leases`.
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
    /// Always empty for a static EIP (see ``ignoredAnnotations``).
    public var overrides: EIPParameters
    /// The shared bandwidth package (`cbwp-...`) to join, overriding the pool's packages.
    public var bandwidthPackageID: String?
    public var releaseStrategy: ReleaseStrategy
    /// The annotations that shape a new EIP but came with a static one, which they never change
    /// (as in ACK): left unread, in the parser's order, for the agent to tell the pod.
    public var ignoredAnnotations: [String]

    public init(
        source: Source, overrides: EIPParameters = EIPParameters(), bandwidthPackageID: String? = nil,
        releaseStrategy: ReleaseStrategy = .follow, ignoredAnnotations: [String] = []
    ) {
        self.source = source
        self.overrides = overrides
        self.bandwidthPackageID = bandwidthPackageID
        self.releaseStrategy = releaseStrategy
        self.ignoredAnnotations = ignoredAnnotations
    }

    /// `Auto` for a pool's address, `Static` for a given EIP: the PodEIP's `allocationType.type`.
    public var allocationType: AllocationType {
        switch source {
        case .pool: .auto
        case .static: .static
        }
    }
}

extension ReleaseStrategy {
    /// The strategy as the annotation and the API's `releaseStrategy` spell it: `Follow`, `Never`
    /// or a Go duration.
    public var annotationValue: String { releaseAfter ?? kind }
}
