/// Where a lease stands. The reconciler moves a lease through these phases toward its
/// ``LeaseGoal``:
/// `Pending -> Allocated -> Associating -> InUse -> Disassociating -> Allocated (retained) ->
/// Releasing -> Released`, and `Failed` when an address could not be had.
public enum LeasePhase: String, Sendable, CaseIterable, Codable {
    case pending = "Pending"
    case allocated = "Allocated"
    case associating = "Associating"
    case inUse = "InUse"
    case disassociating = "Disassociating"
    case releasing = "Releasing"
    case released = "Released"
    case failed = "Failed"

    /// Released and failed leases hold nothing: no quota, no address, no natural key.
    public var isTerminal: Bool { self == .released || self == .failed }
}

/// What the caller last asked of a lease; the reconciler drives the phase toward it.
public enum LeaseGoal: String, Sendable, Codable, CaseIterable {
    /// Hold an address, not bound to a pod (after allocate, disassociate, or a retained release).
    case allocated
    /// Hold an address bound to the pod's private IP.
    case associated
    /// Give the address up.
    case released

    /// Whether a lease in `phase` has reached this goal, so no more work is needed.
    public func isSettled(in phase: LeasePhase) -> Bool {
        switch (self, phase) {
        case (_, .failed): true
        case (.allocated, .allocated), (.associated, .inUse), (.released, .released): true
        default: false
        }
    }
}

/// How a lease got its address: from a pool (`Auto`) or a named EIP (`Static`,
/// `k8s.aliyun.com/pod-eip-instanceid`), which the broker never releases.
public enum AllocationType: String, Sendable, Codable {
    case auto = "Auto"
    case `static` = "Static"
}
