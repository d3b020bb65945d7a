/// The settings of ``LeaderElector``, with client-go's defaults (15 s, 10 s, 2 s).
///
/// Safety needs `renewDeadline < leaseDuration`: a leader that could not renew for
/// `renewDeadline` stops acting before any other candidate may take the lease.
public struct LeaderElectionConfiguration: Sendable, Hashable {
    /// The Lease object, such as `eip-agent`.
    public var leaseName: String
    /// Its namespace, such as the agent's own.
    public var namespace: String
    /// This candidate, unique among them (the pod name).
    public var identity: String
    /// How long the others wait after the last renewal they saw before taking the lease.
    public var leaseDuration: Duration
    /// How long the leader keeps leading without a successful renewal.
    public var renewDeadline: Duration
    /// The wait between attempts to acquire or renew.
    public var retryPeriod: Duration
    /// On cancellation (graceful shutdown), hand the lease back at once so that another
    /// candidate need not wait out ``leaseDuration``.
    public var releaseOnCancel: Bool

    public init(
        leaseName: String, namespace: String, identity: String, leaseDuration: Duration = .seconds(15),
        renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true
    ) {
        precondition(renewDeadline < leaseDuration, "renewDeadline must be shorter than leaseDuration")
        precondition(retryPeriod < renewDeadline, "retryPeriod must be shorter than renewDeadline")
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.releaseOnCancel = releaseOnCancel
    }
}
