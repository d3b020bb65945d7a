import EIPAgent
import Foundation
import Synchronization
import Testing

@testable import EIPTestSupport

/// Leader election on a Lease of the fake API server, with short lease durations.
@Suite struct KubernetesLeaderElectionTests {
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
                    let electors = [
                        "a": LeaderElector(
                            client: clientA, configuration: configuration("a", releaseOnCancel: false), logger: fake.logs.logger()),
                        "b": LeaderElector(
                            client: clientB, configuration: configuration("b", releaseOnCancel: false), logger: fake.logs.logger()),
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
                    let writes = leaseWrites(fake)
                    try await waitUntil("the leader renewed five times") { leaseWrites(fake) >= writes + 5 }
                    #expect(leadership.starts == [first])
                    #expect(electors[first]?.isLeader == true)
                    #expect(electors[second]?.isLeader == false)
                    #expect(try lease(fake)?.spec.holderIdentity == first)
                    #expect(electors[second]?.observedHolder == first)

                    // The leader dies without a word: the other takes over once the lease runs out.
                    tasks[first]?.cancel()
                    _ = await tasks[first]?.result
                    #expect(try lease(fake)?.spec.holderIdentity == first)
                    try await waitUntil("the other leads") { leadership.starts.count == 2 }
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
                // A long lease: the handover can only come from the release.
                let a = LeaderElector(
                    client: client, configuration: configuration("a", releaseOnCancel: true, leaseDuration: .seconds(600)),
                    logger: fake.logs.logger())
                let b = LeaderElector(
                    client: client, configuration: configuration("b", releaseOnCancel: true, leaseDuration: .seconds(600)),
                    logger: fake.logs.logger())
                let taskA = Task { try await a.run { await leadership.work("a") } }
                try await waitUntil("a leads") { leadership.starts == ["a"] }
                let taskB = Task { try await b.run { await leadership.work("b") } }
                defer { taskB.cancel() }
                try await waitUntil("b has seen a's lease") { b.observedHolder == "a" }

                taskA.cancel()
                try await taskA.value
                try await waitUntil("b leads") { leadership.starts == ["a", "b"] }
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
                let elector = LeaderElector(
                    client: client, configuration: configuration("a", releaseOnCancel: true), logger: fake.logs.logger())
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
                try await waitUntil("a stopped leading") { leadership.active.isEmpty && !elector.isLeader }

                // The intruder never renews: a takes the lease back when it runs out, and works again.
                try await waitUntil("a leads again") { leadership.starts == ["a", "a"] && leadership.active == ["a"] }
                #expect(try lease(fake)?.spec.holderIdentity == "a")
                task.cancel()
                try await task.value
            }
        }
    }
}
