/// The broker's record of one pod's EIP: the API's `Lease` and the agent's `PodEIP`.
///
/// Natural key `(cluster, namespace, pod)`: at most one active (non-terminal) lease per pod.
public struct Lease: Sendable, Hashable {
    public var id: String
    public var cluster: String
    public var namespace: String
    public var pod: String
    public var podUID: String
    /// The pool an `Auto` lease draws from; `nil` for a static lease.
    public var pool: String?
    public var allocationType: AllocationType
    public var releaseStrategy: ReleaseStrategy
    /// The cloud parameters asked for (pool defaults with the request's overrides).
    public var parameters: EIPParameters
    /// The EIP's parameters as the cloud reports them, once it has one.
    public var reported: EIPParameters?
    public var bandwidthPackageID: String?
    public var allocationID: String?
    public var ipAddress: String?
    public var networkInterfaceID: String?
    public var privateIPAddress: String?
    public var phase: LeasePhase
    public var goal: LeaseGoal
    /// Take a static EIP even when it is bound elsewhere (Terway's `allow_eip_rob`).
    public var allowRob: Bool
    /// The pod went away and the strategy (TTL or Never) keeps the address for a pod of the
    /// same name.
    public var retained: Bool
    public var podLastSeen: Timestamp?
    /// When a retained TTL lease is released, if no pod of the same name comes back first.
    public var releaseAt: Timestamp?
    public var lastError: String?
    public var version: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String, cluster: String, namespace: String, pod: String, podUID: String, pool: String?,
        allocationType: AllocationType, releaseStrategy: ReleaseStrategy, parameters: EIPParameters,
        reported: EIPParameters? = nil, bandwidthPackageID: String? = nil, allocationID: String? = nil, ipAddress: String? = nil,
        networkInterfaceID: String? = nil, privateIPAddress: String? = nil, phase: LeasePhase = .pending,
        goal: LeaseGoal = .allocated, allowRob: Bool = false, retained: Bool = false, podLastSeen: Timestamp? = nil,
        releaseAt: Timestamp? = nil, lastError: String? = nil, version: Int = 1, createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.cluster = cluster
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.pool = pool
        self.allocationType = allocationType
        self.releaseStrategy = releaseStrategy
        self.parameters = parameters
        self.reported = reported
        self.bandwidthPackageID = bandwidthPackageID
        self.allocationID = allocationID
        self.ipAddress = ipAddress
        self.networkInterfaceID = networkInterfaceID
        self.privateIPAddress = privateIPAddress
        self.phase = phase
        self.goal = goal
        self.allowRob = allowRob
        self.retained = retained
        self.podLastSeen = podLastSeen
        self.releaseAt = releaseAt
        self.lastError = lastError
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The EIP as the cloud reports it where known, else as asked: what the API and the PodEIP
    /// show.
    public var shownParameters: EIPParameters {
        reported.map { parameters.overridden(by: $0) } ?? parameters
    }

    /// Whether the reconciler has work to do on this lease.
    public var needsWork: Bool { !goal.isSettled(in: phase) }
}
