import EIPAgent
import EIPCore
import Foundation
import Synchronization
import Testing

@testable import EIPTestSupport

/// Leader election on a Lease of the fake API server, in virtual time: every elector runs on a
/// ``ManualClock`` the test moves on only once the electors are parked in their sleeps, so terms
/// and deadlines run out when the test says and never because the machine was slow.
@Suite struct KubernetesLeaderElectionTests {
    /// One retry period and its jitter (100 ms, up to 20 % more).
    static let step: Duration = .milliseconds(120)

    /// Who is running the leader's work, and who ever did.
    final class Leadership: Sendable {
        private struct State {
            var active: Set<String> = []
            var starts: [String] = []
            var mostAtOnce = 0
        }

        private let state = Mutex(State())

        /// The work: runs until cancelled.
        func work(_ identity: String) async {
            state.withLock {
                $0.active.insert(identity)
                $0.starts.append(identity)
                $0.mostAtOnce = max($0.mostAtOnce, $0.active.count)
            }
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(60)) }
            state.withLock { _ = $0.active.remove(identity) }
        }

        var starts: [String] { state.withLock { $0.starts } }
        var active: Set<String> { state.withLock { $0.active } }
        var mostAtOnce: Int { state.withLock { $0.mostAtOnce } }
    }

    private func configuration(_ identity: String, releaseOnCancel: Bool, leaseDuration: Duration = .seconds(2))
        -> LeaderElectionConfiguration
    {
        LeaderElectionConfiguration(
            leaseName: "eip-agent", namespace: "eip-agent", identity: identity, leaseDuration: leaseDuration,
            renewDeadline: leaseDuration * 0.7, retryPeriod: .milliseconds(100), releaseOnCancel: releaseOnCancel
        )
    }

    /// Moves `clock` on by one retry period each time `sleepers` electors sleep, until `done`;
    /// fails after `steps` periods.
    private func advance(
        _ clock: ManualClock, once sleepers: Int, upTo steps: Int = 100, until what: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ done: () throws -> Bool
    ) async throws {
        for _ in 0..<steps {
            if try done() { return }
            try await clock.advance(by: Self.step, once: sleepers, sourceLocation: sourceLocation)
        }
        try #require(try done(), "\(what) after \(steps) retry periods", sourceLocation: sourceLocation)
    }

    private func lease(_ fake: FakeKubernetes) throws -> CoordinationLease? {
        try fake.object(CoordinationLease.self, .leases, "eip-agent", "eip-agent")
    }

    private func leaseWrites(_ fake: FakeKubernetes) -> Int {
        fake.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/leases/eip-agent") }.count
    }

    @Test func onlyOneLeadsAndAKilledLeaderHandsOverAfterTheLeaseDuration() async throws {
        try await FakeKubernetes.with { fake in
            try await fake.withClient { clientA in
                try await fake.withClient { clientB in
                    let leadership = Leadership()
                    let clock = ManualClock()
                    let electors = [
                        "a": LeaderElector(
                            client: clientA, configuration: configuration("a", releaseOnCancel: false), clock: ElapsedClock(clock),
                            logger: fake.logs.logger()),
                        "b": LeaderElector(
                            client: clientB, configuration: configuration("b", releaseOnCancel: false), clock: ElapsedClock(clock),
                            logger: fake.logs.logger()),
                    ]
                    var tasks: [String: Task<Void, any Error>] = [:]
                    for (identity, elector) in electors {
                        tasks[identity] = Task { try await elector.run { await leadership.work(identity) } }
                    }
                    defer { for task in tasks.values { task.cancel() } }

                    try await waitUntil("someone leads") { leadership.starts.count == 1 }
                    let first = try #require(leadership.starts.first)
                    let second = first == "a" ? "b" : "a"
                    // Several renewals later, still only the first leads.
                    for _ in 0..<5 {
                        let writes = leaseWrites(fake)
                        try await clock.advance(by: Self.step, once: 2)
                        try await waitUntil("the leader renewed") { leaseWrites(fake) > writes }
                    }
                    #expect(leadership.starts == [first])
                    #expect(electors[first]?.isLeader == true)
                    #expect(electors[second]?.isLeader == false)
                    #expect(try lease(fake)?.spec.holderIdentity == first)
                    #expect(electors[second]?.observedHolder == first)

                    // The leader dies without a word: the other takes over once the lease runs out.
                    tasks[first]?.cancel()
                    _ = await tasks[first]?.result
                    #expect(try lease(fake)?.spec.holderIdentity == first)
                    let before = clock.now
                    try await advance(clock, once: 1, until: "the other leads") { leadership.starts.count == 2 }
                    // Not before the lease ran out: two seconds since the other last saw it change.
                    #expect(before.duration(to: clock.now) >= .seconds(2) - Self.step)
                    #expect(leadership.starts == [first, second])
                    #expect(leadership.mostAtOnce == 1)
                    let taken = try #require(try lease(fake))
                    #expect(taken.spec.holderIdentity == second)
                    #expect(taken.spec.leaseTransitions == 1)
                    #expect(taken.spec.leaseDurationSeconds == 2)

                    tasks[second]?.cancel()
                    _ = await tasks[second]?.result
                    #expect(leadership.active.isEmpty)
                }
            }
        }
    }

    @Test func aGracefulStopReleasesTheLeaseForTheNextCandidate() async throws {
        try await FakeKubernetes.with { fake in
            try await fake.withClient { client in
                let leadership = Leadership()
                let clock = ManualClock()
                // A long lease: the handover can only come from the release.
                let a = LeaderElector(
                    client: client, configuration: configuration("a", releaseOnCancel: true, leaseDuration: .seconds(600)),
                    clock: ElapsedClock(clock), logger: fake.logs.logger())
                let b = LeaderElector(
                    client: client, configuration: configuration("b", releaseOnCancel: true, leaseDuration: .seconds(600)),
                    clock: ElapsedClock(clock), logger: fake.logs.logger())
                let taskA = Task { try await a.run { await leadership.work("a") } }
                try await waitUntil("a leads") { leadership.starts == ["a"] }
                let taskB = Task { try await b.run { await leadership.work("b") } }
                defer { taskB.cancel() }
                try await waitUntil("b has seen a's lease") { b.observedHolder == "a" }

                taskA.cancel()
                try await taskA.value
                try await advance(clock, once: 1, upTo: 5, until: "b leads") { leadership.starts == ["a", "b"] }
                #expect(leadership.mostAtOnce == 1)
                taskB.cancel()
                try await taskB.value
                #expect(try lease(fake)?.spec.holderIdentity == nil)
            }
        }
    }

    @Test func theWorkIsCancelledWhenAnotherTakesTheLease() async throws {
        try await FakeKubernetes.with { fake in
            try await fake.withClient { client in
                let leadership = Leadership()
                let clock = ManualClock()
                let elector = LeaderElector(
                    client: client, configuration: configuration("a", releaseOnCancel: true), clock: ElapsedClock(clock),
                    logger: fake.logs.logger())
                let task = Task { try await elector.run { await leadership.work("a") } }
                defer { task.cancel() }
                try await waitUntil("a leads") { leadership.active == ["a"] }

                // Someone else writes itself into the lease (as after a partition).
                try fake.withStore { store in
                    guard var lease = store.object(.leases, "eip-agent", "eip-agent") else { throw WaitTimedOut(what: "no lease") }
                    lease.set("spec.holderIdentity", "intruder")
                    lease.set("spec.renewTime", .string(KubernetesTime.string(Date(), fractionalDigits: 6)))
                    store.commit(.leases, "MODIFIED", key: "eip-agent/eip-agent", object: lease, previous: nil)
                }
                try await advance(clock, once: 1, upTo: 5, until: "a stopped leading") { !elector.isLeader }
                try await waitUntil("a's work stopped") { leadership.active.isEmpty }

                // The intruder never renews: a takes the lease back when it runs out, and works again.
                try await advance(clock, once: 1, until: "a leads again") { leadership.starts == ["a", "a"] }
                try await waitUntil("a works again") { leadership.active == ["a"] }
                #expect(try lease(fake)?.spec.holderIdentity == "a")
                task.cancel()
                try await task.value
            }
        }
    }
}
