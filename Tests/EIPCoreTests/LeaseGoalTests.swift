import EIPCore
import Testing

/// When the reconciler is done with a lease: the goal against every phase.
@Suite("LeaseGoal")
struct LeaseGoalTests {
    /// The phases in which each goal is reached; every other phase needs work.
    static let settled: [LeaseGoal: Set<LeasePhase>] = [
        .allocated: [.allocated, .failed],
        .associated: [.inUse, .failed],
        .released: [.released, .failed],
    ]

    @Test(arguments: [LeaseGoal.allocated, .associated, .released], LeasePhase.allCases)
    func isSettled(goal: LeaseGoal, phase: LeasePhase) {
        let expected = Self.settled[goal]!.contains(phase)
        #expect(goal.isSettled(in: phase) == expected)
    }

    @Test func matrixCountsAndTerminalPhases() {
        let goals: [LeaseGoal] = [.allocated, .associated, .released]
        let pairs = goals.flatMap { goal in LeasePhase.allCases.map { (goal, $0) } }
        #expect(pairs.count == 24)
        #expect(pairs.filter { $0.0.isSettled(in: $0.1) }.count == 6)
        #expect(LeasePhase.allCases.filter(\.isTerminal) == [.released, .failed])
    }

    @Test(arguments: LeasePhase.allCases)
    func leaseNeedsWorkUntilSettled(phase: LeasePhase) {
        let at = Timestamp(milliseconds: 1_700_000_000_000)
        for goal in [LeaseGoal.allocated, .associated, .released] {
            let lease = Lease(
                id: "l-1", cluster: "prod", namespace: "default", pod: "web-0", podUID: "u1", pool: "web", allocationType: .auto,
                releaseStrategy: .follow, parameters: EIPParameters(), phase: phase, goal: goal, createdAt: at, updatedAt: at
            )
            #expect(lease.needsWork == !goal.isSettled(in: phase))
        }
    }

    @Test func phasesKeepTheirWireNames() {
        #expect(
            LeasePhase.allCases.map(\.rawValue) == [
                "Pending", "Allocated", "Associating", "InUse", "Disassociating", "Releasing", "Released", "Failed",
            ])
        #expect([LeaseGoal.allocated, .associated, .released].map(\.rawValue) == ["allocated", "associated", "released"])
    }
}
