import EIPCore
import Testing

/// The lifecycle rules without I/O: the reconciler's next step for every phase and goal, what an
/// allocate does with the pod's existing lease, and what each release strategy does.
@Suite("LeaseLifecycle")
struct LeaseLifecycleTests {
    static let at = Timestamp(milliseconds: 1_700_000_000_000)

    static func lease(
        phase: LeasePhase = .allocated, goal: LeaseGoal = .allocated, podUID: String = "uid-1", pool: String? = "web",
        type: AllocationType = .auto, strategy: ReleaseStrategy = .follow, allocationID: String? = "eip-1", retained: Bool = false
    ) -> Lease {
        Lease(
            id: "l-1", cluster: "prod", namespace: "default", pod: "web-0", podUID: podUID, pool: pool, allocationType: type,
            releaseStrategy: strategy, parameters: EIPParameters(), allocationID: allocationID, phase: phase, goal: goal,
            retained: retained, createdAt: at, updatedAt: at)
    }

    static func request(podUID: String = "uid-1", pool: String? = "web", eip: String? = nil) throws -> AllocationRequest {
        try AllocationRequest.validated(
            cluster: "prod", namespace: "default", pod: "web-0", podUID: podUID, pool: pool, eipInstanceID: eip, releaseStrategy: nil,
            overrides: EIPParameters(), bandwidthPackageID: nil, allowRob: false)
    }

    // MARK: Next step

    /// Every (phase, goal) pair and the step it leads to; `nil` where nothing is to be done.
    static let steps: [LeasePhase: [LeaseGoal: LeaseStep?]] = [
        .pending: [.allocated: .allocate, .associated: .allocate, .released: .allocate],
        .allocated: [.allocated: nil, .associated: .associate, .released: .release],
        .associating: [.allocated: .disassociate, .associated: .associate, .released: .disassociate],
        .inUse: [.allocated: .disassociate, .associated: nil, .released: .disassociate],
        .disassociating: [.allocated: .disassociate, .associated: .disassociate, .released: .disassociate],
        .releasing: [.allocated: nil, .associated: nil, .released: .release],
        .released: [.allocated: nil, .associated: nil, .released: nil],
        .failed: [.allocated: nil, .associated: nil, .released: nil],
    ]

    @Test(arguments: LeasePhase.allCases, LeaseGoal.allCases)
    func nextStep(phase: LeasePhase, goal: LeaseGoal) throws {
        let expected = try #require(Self.steps[phase]?[goal])
        #expect(Self.lease(phase: phase, goal: goal).nextStep == expected)
    }

    @Test func aSettledLeaseHasNoStepAndEveryStepIsReachable() {
        var reached: Set<LeaseStep> = []
        for phase in LeasePhase.allCases {
            for goal in LeaseGoal.allCases {
                let lease = Self.lease(phase: phase, goal: goal)
                if goal.isSettled(in: phase) { #expect(lease.nextStep == nil, "\(phase) \(goal)") }
                if let step = lease.nextStep { reached.insert(step) }
            }
        }
        #expect(reached == Set(LeaseStep.allCases))
    }

    // MARK: Reuse on allocate

    @Test func theSamePodGetsItsLeaseBackAndIsRefusedAnotherSource() throws {
        #expect(try Self.lease().reuse(for: Self.request()) == .same)
        let error = #expect(throws: BrokerError.self) { try Self.lease().reuse(for: Self.request(pool: "db")) }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("already holds lease l-1 from pool 'web'") == true, "\(String(describing: error))")
        let staticLease = Self.lease(pool: nil, type: .static, allocationID: "eip-given")
        #expect(try staticLease.reuse(for: Self.request(pool: nil, eip: "eip-given")) == .same)
        #expect(throws: BrokerError.self) { try staticLease.reuse(for: Self.request(pool: nil, eip: "eip-other")) }
    }

    @Test(arguments: [ReleaseStrategy.follow, .never, .ttl(milliseconds: 60_000)])
    func aNewPodOfTheSameNameTakesOverOnlyWhatItsStrategyKeeps(strategy: ReleaseStrategy) throws {
        let lease = Self.lease(strategy: strategy, retained: true)
        let expected: LeaseReuse = strategy == .follow ? .replace : .handOver
        #expect(try lease.reuse(for: Self.request(podUID: "uid-2")) == expected)
        // Another pool, or a static lease, is never handed over.
        #expect(try lease.reuse(for: Self.request(podUID: "uid-2", pool: "db")) == .replace)
        let staticLease = Self.lease(pool: nil, type: .static, strategy: strategy, allocationID: "eip-given")
        #expect(try staticLease.reuse(for: Self.request(podUID: "uid-2", pool: nil, eip: "eip-given")) == .replace)
    }

    // MARK: Release strategies

    @Test func followAStaticLeaseAndAForcedReleaseGiveTheAddressUp() {
        #expect(Self.lease(strategy: .follow).release(force: false, now: Self.at) == .giveUp)
        #expect(Self.lease(pool: nil, type: .static, strategy: .never).release(force: false, now: Self.at) == .giveUp)
        #expect(Self.lease(strategy: .never, retained: true).release(force: true, now: Self.at) == .giveUp)
        #expect(LeaseRelease.giveUp.goal == .released)
    }

    @Test func ttlKeepsTheAddressUntilItsTimeAndNeverUntilAForcedRelease() {
        let ttl = Self.lease(strategy: .ttl(milliseconds: 300_000)).release(force: false, now: Self.at)
        #expect(ttl == .retain(releaseAt: Self.at.adding(milliseconds: 300_000)))
        #expect(ttl.goal == .allocated)
        #expect(Self.lease(strategy: .never).release(force: false, now: Self.at) == .retain(releaseAt: nil))
        // Already retained: a second release changes nothing (the TTL does not restart).
        #expect(Self.lease(strategy: .ttl(milliseconds: 300_000), retained: true).release(force: false, now: Self.at) == .unchanged)
    }

    @Test(arguments: [LeasePhase.released, .failed])
    func aReleasedOrTerminalLeaseIsUnchanged(phase: LeasePhase) {
        #expect(Self.lease(phase: phase).release(force: true, now: Self.at) == .unchanged)
        #expect(Self.lease(phase: .inUse, goal: .released).release(force: true, now: Self.at) == .unchanged)
        #expect(LeaseRelease.unchanged.goal == nil)
    }
}
