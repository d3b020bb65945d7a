/// The settings of a ``PodController``.
public struct PodControllerConfiguration: Sendable {
    /// The cluster (informational: the broker token decides it), or `nil`.
    public var cluster: String?
    /// The broker pool for pods without `eip-broker.io/pool`, if any.
    public var defaultPool: String?
    /// The whole cluster, or one node.
    public var scope: AgentScope
    /// How many pods are reconciled at once.
    public var concurrency: Int
    /// How often every known pod (and PodEIP) is reconciled again, whatever the watch said.
    public var resyncInterval: Duration
    /// How often the heartbeat is sent (cluster scope only).
    public var heartbeatInterval: Duration
    /// Waits before a failed pod is tried again, growing per pod.
    public var retryBackoff: RetryBackoff
    /// The `wait` (seconds) of each broker call.
    public var brokerWait: Int
    /// Who reports Events, such as `eip-agent`.
    public var component: String
    /// Whether a static EIP bound elsewhere may be taken (Terway's `allow_eip_rob`).
    public var allowRob: Bool
    /// The controller kinds whose pods keep TTL and Never; other pods follow their lifecycle.
    public var statefulWorkloadKinds: StatefulWorkloadKinds

    public init(
        cluster: String? = nil, defaultPool: String? = nil, scope: AgentScope = .cluster, concurrency: Int = 8,
        resyncInterval: Duration = .seconds(300), heartbeatInterval: Duration = .seconds(60),
        retryBackoff: RetryBackoff = RetryBackoff(initial: .milliseconds(500), maximum: .seconds(60)), brokerWait: Int = 20,
        component: String = "eip-agent", allowRob: Bool = false, statefulWorkloadKinds: StatefulWorkloadKinds = StatefulWorkloadKinds()
    ) {
        self.cluster = cluster
        self.defaultPool = defaultPool
        self.scope = scope
        self.concurrency = max(1, concurrency)
        self.resyncInterval = resyncInterval
        self.heartbeatInterval = heartbeatInterval
        self.retryBackoff = retryBackoff
        self.brokerWait = brokerWait
        self.component = component
        self.allowRob = allowRob
        self.statefulWorkloadKinds = statefulWorkloadKinds
    }
}
