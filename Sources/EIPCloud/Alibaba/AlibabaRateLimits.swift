/// How fast the broker calls each Alibaba action, per account and region: a token bucket per
/// action, so calls stay below the cloud's quotas instead of drawing `Throttling.User`.
///
/// The defaults are Alibaba's documented EIP quotas (per account, region and API):
/// `AllocateEipAddress` and `AssociateEipAddress` 120 per minute, `DescribeEipAddresses` and
/// `ReleaseEipAddress` 600 per minute, and 600 per minute for other actions. Quotas can be raised
/// on request; configure the raised values here. Calls are paced at ``utilization`` of each
/// rate (90% by default), so timing jitter between the broker and the cloud does not turn into
/// refusals.
///
/// ```swift
/// var limits = AlibabaRateLimits()
/// limits.actions["AllocateEipAddress"] = .perMinute(300)
/// ```
public struct AlibabaRateLimits: Sendable, Hashable {
    /// One action's pace: a sustained rate and the burst allowed above it.
    public struct Rate: Sendable, Hashable {
        /// Calls per minute, sustained.
        public var perMinute: Double
        /// Calls that may go at once after a quiet spell (the bucket's size).
        public var burst: Int

        /// - Parameter burst: defaults to one second's worth of calls (at least one), so a
        ///   burst never outruns a quota enforced per second.
        public init(perMinute: Double, burst: Int? = nil) {
            self.perMinute = max(perMinute, 0.001)
            self.burst = max(burst ?? Int(perMinute / 60), 1)
        }

        public static func perMinute(_ calls: Int, burst: Int? = nil) -> Rate {
            Rate(perMinute: Double(calls), burst: burst)
        }
    }

    /// Alibaba's documented quotas for the EIP actions.
    public static let documentedQuotas: [String: Rate] = [
        "AllocateEipAddress": .perMinute(120),
        "AllocateEipAddressPro": .perMinute(120),
        "AssociateEipAddress": .perMinute(120),
        "DescribeEipAddresses": .perMinute(600),
        "ReleaseEipAddress": .perMinute(600),
    ]

    /// Rates by action name.
    public var actions: [String: Rate]
    /// The rate of actions not in ``actions``.
    public var defaultRate: Rate
    /// The share of each rate actually used (0...1; default 0.9).
    public var utilization: Double
    /// The longest a call waits for its turn; past that it fails at once with `.throttled`
    /// (`Throttling.Local`) so the caller can come back later.
    public var maximumWait: Duration

    public init(
        actions: [String: Rate] = documentedQuotas, defaultRate: Rate = .perMinute(600), utilization: Double = 0.9,
        maximumWait: Duration = .seconds(120)
    ) {
        self.actions = actions
        self.defaultRate = defaultRate
        self.utilization = utilization
        self.maximumWait = maximumWait
    }

    /// The pace of `action`: its configured rate times ``utilization``, with its burst.
    public func rate(for action: String) -> Rate {
        let configured = actions[action] ?? defaultRate
        let share = utilization.isFinite ? min(max(utilization, 0.01), 1) : 1
        return Rate(perMinute: configured.perMinute * share, burst: configured.burst)
    }
}
