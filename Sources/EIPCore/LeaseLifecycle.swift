/// The lease lifecycle's rules, as pure functions of a lease: what the reconciler does next, what
/// an allocate does with the pod's existing lease, and what a release strategy does. The store
/// persists their outcomes; it does not decide them.

/// One cloud step the reconciler takes toward a lease's goal.
public enum LeaseStep: Sendable, Hashable, CaseIterable {
    /// Get an address (from the pool's reservation, or describe a static EIP).
    case allocate
    /// Bind the address to the pod's ENI and private IP.
    case associate
    /// Unbind the address, keeping it.
    case disassociate
    /// Give the address back to the cloud (or the reservation to the pool).
    case release
}

/// What an allocate does with the active lease the pod's name already has.
public enum LeaseReuse: Sendable, Hashable {
    /// The same pod asks again: answer with its lease.
    case same
    /// A new pod of the same name (a StatefulSet pod recreated) takes the lease and its address.
    case handOver
    /// The old pod is gone and its address is not kept for the new one: release the old lease
    /// (its strategy applied as a forced release) and make a new one.
    case replace
}

/// What releasing a lease does, as its strategy says.
public enum LeaseRelease: Sendable, Hashable {
    /// Nothing: the lease is already released, terminal, or retained.
    case unchanged
    /// Give the address up (goal `released`).
    case giveUp
    /// Keep the address for a pod of the same name (goal `allocated`, retained), until
    /// `releaseAt` (TTL) or until a forced release (`nil`, Never).
    case retain(releaseAt: Timestamp?)

    /// The goal this outcome sets; `nil` when it sets none.
    public var goal: LeaseGoal? {
        switch self {
        case .unchanged: nil
        case .giveUp: .released
        case .retain: .allocated
        }
    }
}

extension Lease {
    /// The reconciler's next step from the lease's phase toward its goal; `nil` when the goal is
    /// reached or no goal leads on from the phase (`Released`, `Failed`).
    public var nextStep: LeaseStep? {
        switch (phase, goal) {
        case (.pending, _):
            .allocate
        case (.allocated, .associated), (.associating, .associated):
            .associate
        case (.inUse, .allocated), (.inUse, .released), (.disassociating, _), (.associating, .allocated), (.associating, .released):
            .disassociate
        case (.allocated, .released), (.releasing, .released):
            .release
        default:
            nil
        }
    }

    /// What an allocate for `request` (of this lease's pod name) does with this active lease.
    ///
    /// The same pod UID gets its lease back, as long as it asks for the same source (pool or
    /// static EIP). A new UID takes over a pool lease whose strategy keeps addresses (TTL, Never)
    /// and that draws from the same pool; otherwise the old lease is replaced.
    /// - Throws: `Conflict` when the same pod asks for another source than its lease's.
    public func reuse(for request: AllocationRequest) throws(BrokerError) -> LeaseReuse {
        let sameSource: Bool
        switch request.source {
        case .pool(let name, _, _): sameSource = allocationType == .auto && pool == name
        case .static(let id, _): sameSource = allocationType == .static && allocationID == id
        }
        if podUID == request.podUID {
            guard sameSource else {
                let held = pool.map { "pool '\($0)'" } ?? "static EIP \(allocationID ?? "")"
                throw BrokerError(
                    .conflict, "pod \(request.namespace)/\(request.pod) already holds lease \(id) from \(held): release it first")
            }
            return .same
        }
        return releaseStrategy != .follow && allocationType == .auto && sameSource ? .handOver : .replace
    }

    /// What a release of this lease does at `now`. `Follow`, a static lease and a forced release
    /// give the address up; TTL keeps it until `now` plus the TTL, Never until a forced release.
    /// A lease already released, terminal or retained is unchanged.
    public func release(force: Bool, now: Timestamp) -> LeaseRelease {
        if goal == .released || phase.isTerminal { return .unchanged }
        if force || allocationType == .static || releaseStrategy == .follow { return .giveUp }
        if retained { return .unchanged }
        return .retain(releaseAt: releaseStrategy.ttlMilliseconds.map { now.adding(milliseconds: $0) })
    }
}
