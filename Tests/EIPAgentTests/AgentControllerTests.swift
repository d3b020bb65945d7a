import EIPAgent
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import Logging
import Testing

@testable import EIPTestSupport

/// The agent in-process against a real broker (SQLite, simulated cloud) and the fake API server:
/// pods with the seed's annotations get their EIPs, PodEIPs and readiness conditions; bad
/// annotations and contested static EIPs become Warning Events; deleted pods are released.
@Suite("Agent controller")
struct AgentControllerTests {
    @Test
    func podWithEIPGetsAnnotationConditionAndPodEIPMatchingItsLeaseAndIsReleasedOnDeletion() async throws {
        try await AgentHarness.with { agent in
            try agent.createPod("web-0", ip: "192.168.0.10", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("web-0 has its EIP, condition and PodEIP") {
                guard let pod = try agent.pod("web-0"), let eip = try agent.podEIP("web-0") else { return false }
                return pod.metadata.annotations[PodAnnotation.allocatedAddress] != nil
                    && pod.condition(PodAnnotation.readinessGate)?.status == "True" && eip.status.status == "InUse"
            }
            let pod = try #require(try agent.pod("web-0"))
            let condition = try #require(pod.condition(PodAnnotation.readinessGate))
            #expect(condition.reason == PodAnnotation.readinessGateReason)
            let eip = try #require(try agent.podEIP("web-0"))
            #expect(eip.metadata.finalizers.contains(PodEIP.finalizer))
            let leaseID = try #require(eip.metadata.annotations[AgentHarness.leaseAnnotation])
            let lease = try await agent.kit.lease(leaseID, token: agent.token)
            #expect(lease["phase"] == "InUse")
            #expect(lease["pod"] == "web-0")
            #expect(lease["podUid"] == pod.metadata.uid)
            #expect(pod.metadata.annotations[PodAnnotation.allocatedAddress] == lease["ipAddress"])
            #expect(eip.spec.allocationID == lease["allocationId"])
            #expect(eip.spec.allocationType.type.rawValue == lease["allocationType"])
            #expect(eip.spec.allocationType.releaseStrategy.kind == lease["releaseStrategy"])
            #expect(eip.status.eipAddress == lease["ipAddress"])
            // Before it was bound, the PodEIP showed the lease without an address (OpenKruise
            // Game reads a non-empty eipAddress as the network being Ready).
            let versions = try agent.fake.withStore { store in
                try store.history.filter { $0.resource == FakeResource.podEIPs.plural }.map { try $0.object.decode(PodEIPObject.self) }
            }
            #expect(versions.contains { $0.status.status == "Allocated" && $0.status.eipAddress == nil })
            #expect(versions.allSatisfy { $0.status.eipAddress == nil || $0.status.status == "InUse" }, "\(versions.map(\.status))")
            #expect(eip.status.privateIPAddress == "192.168.0.10")
            #expect(eip.status.privateIPAddress == lease["privateIpAddress"])
            #expect(eip.status.networkInterfaceID == lease["networkInterfaceId"])
            // The status shows the EIP as the cloud reports it: the line and the resource group
            // the pool never set, and ACK's metering.
            let cloudEIP = try #require(try await agent.cloud.describe(allocationID: eip.spec.allocationID ?? "", region: "cn-hangzhou"))
            #expect(eip.status.isp == "BGP" && eip.status.isp == lease["isp"])
            #expect(eip.status.internetChargeType == "PayByTraffic" && eip.status.internetChargeType == lease["internetChargeType"])
            #expect(eip.status.resourceGroupID == cloudEIP.parameters.resourceGroupId && eip.status.resourceGroupID != nil)

            try agent.fake.terminatePod("default", "web-0")
            try await waitUntil("web-0's PodEIP is gone") { try agent.podEIP("web-0") == nil }
            #expect(try await agent.kit.lease(leaseID, token: agent.token)["phase"] == "Released")
            #expect(!agent.fake.logs.text.contains(agent.token))
            try await waitUntil("the cluster agent has sent a heartbeat") {
                try await agent.kit.cluster("agent-test", token: agent.token)["lastHeartbeat"] != nil
            }
        }
    }

    @Test
    func badAnnotationGivesAWarningEventAndOtherPodsStillGetEIPs() async throws {
        try await AgentHarness.with { agent in
            try agent.createPod("bad", ip: "192.168.0.11", annotations: [PodAnnotation.podWithEIP: "true", PodAnnotation.bandwidth: "0"])
            try agent.createPod("good", ip: "192.168.0.12", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("the bad pod has a Warning event") { try !agent.warnings(for: "bad").isEmpty }
            let warning = try #require(try agent.warnings(for: "bad").first)
            #expect(warning.reason == "InvalidAnnotation")
            #expect(warning.message?.contains(PodAnnotation.bandwidth) == true, "\(warning.message ?? "")")
            try await waitUntil("the good pod has its EIP") {
                try agent.pod("good")?.metadata.annotations[PodAnnotation.allocatedAddress] != nil
            }
            #expect(try agent.podEIP("bad") == nil)
            #expect(try agent.pod("bad")?.metadata.annotations[PodAnnotation.allocatedAddress] == nil)
        }
    }

    @Test
    func staticEIPIsPinnedAndASecondPodNamingItGetsAddressInUse() async throws {
        try await AgentHarness.with { agent in
            let eip = try await LeaseTestKit.customerEIP(in: agent.cloud)
            // The bandwidth annotation beside a pinned EIP changes nothing, as in ACK: an Event says so.
            try agent.createPod(
                "rtsp-a", ip: "192.168.0.21", annotations: [PodAnnotation.eipInstanceID: eip.allocationID, PodAnnotation.bandwidth: "10"])
            try await waitUntil("rtsp-a has the static EIP") {
                try agent.pod("rtsp-a")?.metadata.annotations[PodAnnotation.allocatedAddress] == eip.ipAddress
            }
            #expect(try agent.podEIP("rtsp-a")?.spec.allocationID == eip.allocationID)
            #expect(try agent.podEIP("rtsp-a")?.spec.allocationType.type == .static)
            let ignored = try #require(try agent.events(for: "rtsp-a").first { $0.reason == "EIPParametersIgnored" })
            #expect(ignored.type == .normal)
            #expect(ignored.message?.hasSuffix("ignored: \(PodAnnotation.bandwidth)") == true, "\(ignored.message ?? "")")
            let bound = try #require(try await agent.cloud.describe(allocationID: eip.allocationID, region: eip.region))
            #expect(bound.status == .inUse && bound.parameters == eip.parameters)

            try agent.createPod("rtsp-b", ip: "192.168.0.22", annotations: [PodAnnotation.eipInstanceID: eip.allocationID])
            try await waitUntil("rtsp-b has an AddressInUse Warning event") {
                try agent.warnings(for: "rtsp-b").contains { $0.reason == "AddressInUse" }
            }
            #expect(try agent.pod("rtsp-b")?.metadata.annotations[PodAnnotation.allocatedAddress] == nil)
            #expect(try agent.pod("rtsp-a")?.metadata.annotations[PodAnnotation.allocatedAddress] == eip.ipAddress)
        }
    }

    /// StatefulSet, and `GameServerSet` as one of the harness agent's `statefulWorkloadKinds`
    /// (given in another case, as `--stateful-workload-kinds` may).
    @Test(arguments: ["StatefulSet", "gameserverset"])
    func aStatefulPodWithATTLKeepsItsAddressWhenRecreated(ownerKind: String) async throws {
        try await AgentHarness.with { agent in
            let annotations = [PodAnnotation.podWithEIP: "true", PodAnnotation.releaseStrategy: "10m"]
            try agent.createPod("relay-0", ip: "192.168.0.31", annotations: annotations, ownerKind: ownerKind)
            try await waitUntil("relay-0 has its EIP") {
                try agent.pod("relay-0")?.metadata.annotations[PodAnnotation.allocatedAddress] != nil
            }
            let address = try #require(try agent.pod("relay-0")?.metadata.annotations[PodAnnotation.allocatedAddress])
            #expect(try agent.podEIP("relay-0")?.spec.allocationType.releaseAfter == "10m")

            try agent.fake.terminatePod("default", "relay-0")
            try await waitUntil("relay-0's PodEIP shows the retained lease") {
                try agent.podEIP("relay-0")?.status.status == "Allocated"
            }
            #expect(try agent.podEIP("relay-0")?.metadata.finalizers.contains(PodEIP.finalizer) == true)

            try agent.createPod("relay-0", ip: "192.168.0.32", annotations: annotations, ownerKind: ownerKind)
            try await waitUntil("the new relay-0 has its EIP back") {
                try agent.pod("relay-0")?.metadata.annotations[PodAnnotation.allocatedAddress] != nil
                    && agent.podEIP("relay-0")?.status.privateIPAddress == "192.168.0.32"
            }
            #expect(try agent.pod("relay-0")?.metadata.annotations[PodAnnotation.allocatedAddress] == address)
        }
    }

    /// Never ends as ACK's page says: by deleting the PodEIP by hand. Once the pod is gone that
    /// releases the lease at once; a PodEIP deleted while its pod runs waits for the pod to exit,
    /// and then its lease is released whatever the strategy.
    @Test
    func deletingThePodEIPOfANeverLeaseReleasesIt() async throws {
        try await AgentHarness.with { agent in
            let annotations = [PodAnnotation.podWithEIP: "true", PodAnnotation.releaseStrategy: "Never"]
            for (name, ip) in [("keep-0", "192.168.0.45"), ("keep-1", "192.168.0.46")] {
                try agent.createPod(name, ip: ip, annotations: annotations, ownerKind: "StatefulSet")
            }
            try await waitUntil("both pods have their EIPs") {
                try agent.podEIP("keep-0")?.status.status == "InUse" && agent.podEIP("keep-1")?.status.status == "InUse"
            }
            let leases = try ["keep-0", "keep-1"].map {
                try #require(try agent.podEIP($0)?.metadata.annotations[AgentHarness.leaseAnnotation])
            }

            // Pod gone, lease retained; deleting the PodEIP releases it.
            try agent.fake.terminatePod("default", "keep-0")
            try await waitUntil("keep-0's PodEIP shows the retained lease") { try agent.podEIP("keep-0")?.status.status == "Allocated" }
            try agent.deletePodEIP("keep-0")
            try await waitUntil("keep-0's PodEIP is gone") { try agent.podEIP("keep-0") == nil }
            #expect(try await agent.kit.lease(leases[0], token: agent.token)["phase"] == "Released")

            // Pod running: the PodEIP waits in Terminating, the pod keeps its address.
            try agent.deletePodEIP("keep-1")
            try await agent.waitForHeartbeats(2)
            #expect(try agent.podEIP("keep-1")?.metadata.deletionTimestamp != nil)
            #expect(try await agent.kit.lease(leases[1], token: agent.token)["phase"] == "InUse")
            try agent.fake.terminatePod("default", "keep-1")
            try await waitUntil("keep-1's PodEIP is gone") { try agent.podEIP("keep-1") == nil }
            #expect(try await agent.kit.lease(leases[1], token: agent.token)["phase"] == "Released")
        }
    }

    /// On Alibaba Cloud (the emulator, over signed HTTP): the PodEIP shows no address until the
    /// EIP is bound, and then the line, metering and resource group the cloud reports, though
    /// neither the pod nor the pool named them.
    @Test
    func onAlibabaThePodEIPShowsWhatTheCloudReportsOnceBound() async throws {
        try await AgentHarness.withAlibabaEmulator { agent in
            try agent.createPod("relay-0", ip: "10.6.0.21", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("relay-0 has its EIP") { try agent.podEIP("relay-0")?.status.status == "InUse" }
            let object = try #require(try agent.podEIP("relay-0"))
            let eip = try #require(try await agent.cloud.peek(allocationID: object.spec.allocationID ?? "", region: "cn-hangzhou"))
            #expect(object.status.eipAddress == eip.ipAddress && eip.status == .inUse)
            #expect(object.status.isp == "BGP" && eip.parameters.isp == "BGP")
            #expect(object.status.internetChargeType == "PayByTraffic" && eip.parameters.internetChargeType == "PayByTraffic")
            #expect(object.status.resourceGroupID != nil && object.status.resourceGroupID == eip.parameters.resourceGroupId)
            let versions = try agent.fake.withStore { store in
                try store.history.filter { $0.resource == FakeResource.podEIPs.plural }.map { try $0.object.decode(PodEIPObject.self) }
            }
            #expect(versions.contains { $0.status.status == "Allocated" && $0.status.eipAddress == nil })
            #expect(versions.allSatisfy { $0.status.eipAddress == nil || $0.status.status == "InUse" }, "\(versions.map(\.status))")
        }
    }

    /// A pod that is not a stateful workload's gets Follow whatever it asks, with a Normal Event,
    /// as ACK keeps fixed EIPs only for stateful workloads: its name never comes back.
    @Test(arguments: [("ReplicaSet", "Never"), (nil, "10m")])
    func aPodOfAStatelessWorkloadFollowsItsLifecycleWhateverItAsks(ownerKind: String?, strategy: String) async throws {
        try await AgentHarness.with { agent in
            try agent.createPod(
                "web-2", ip: "192.168.0.37", annotations: [PodAnnotation.podWithEIP: "true", PodAnnotation.releaseStrategy: strategy],
                ownerKind: ownerKind)
            try await waitUntil("web-2 has its EIP") { try agent.podEIP("web-2")?.status.status == "InUse" }
            let leaseID = try #require(try agent.podEIP("web-2")?.metadata.annotations[AgentHarness.leaseAnnotation])
            #expect(try await agent.kit.lease(leaseID, token: agent.token)["releaseStrategy"] == "Follow")
            #expect(try agent.podEIP("web-2")?.spec.allocationType.releaseStrategy == .follow)
            let event = try #require(try agent.events(for: "web-2").first { $0.reason == "ReleaseStrategyIgnored" })
            #expect(event.type == .normal)
            #expect(event.message?.contains("'\(strategy)'") == true, "\(event.message ?? "")")
            #expect(event.message?.contains(ownerKind.map { "controlled by a \($0)" } ?? "has no controller") == true)

            try agent.fake.terminatePod("default", "web-2")
            try await waitUntil("web-2's PodEIP is gone") { try agent.podEIP("web-2") == nil }
            #expect(try await agent.kit.lease(leaseID, token: agent.token)["phase"] == "Released")
        }
    }

    /// Follow releases when the pod has exited, not when its deletion starts: a game server
    /// draining players in `preStop` keeps its address, its PodEIP and its place in the
    /// heartbeat until its containers have stopped.
    @Test
    func aFollowPodKeepsItsEIPThroughItsGracePeriodUntilItsContainersHaveStopped() async throws {
        try await AgentHarness.with { agent in
            try agent.createPod("game-0", ip: "192.168.0.38", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("game-0 has its EIP") {
                try agent.podEIP("game-0")?.status.status == "InUse" && agent.address("game-0") != nil
            }
            let leaseID = try #require(try agent.podEIP("game-0")?.metadata.annotations[AgentHarness.leaseAnnotation])
            let address = try agent.address("game-0")

            try agent.fake.deletePod("default", "game-0", gracePeriodSeconds: 30)
            #expect(try agent.pod("game-0")?.isTerminating == true)
            try await waitUntil("the agent has seen game-0 terminating") { agent.fake.logs.text.contains("keeps its EIP until it exits") }
            // Two heartbeats after that: the second began after the first ended, so it was
            // built from what the agent knew once it had seen the pod terminating.
            try await agent.waitForHeartbeats(2)
            let lease = try await agent.kit.lease(leaseID, token: agent.token)
            #expect(lease["phase"] == "InUse")
            #expect(lease["ipAddress"] == address)
            #expect(try agent.address("game-0") == address)
            #expect(try agent.podEIP("game-0")?.status.status == "InUse")

            try agent.fake.finishPodDeletion("default", "game-0")
            try await waitUntil("game-0's PodEIP is gone") { try agent.podEIP("game-0") == nil }
            #expect(try await agent.kit.lease(leaseID, token: agent.token)["phase"] == "Released")
        }
    }

    /// A pod whose annotations stop parsing (here: the agent restarted without the default pool
    /// they relied on) is still alive: it stays in the heartbeat and keeps its EIP.
    @Test
    func podsWhoseAnnotationsNoLongerParseKeepTheirEIPs() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            let first = agent.startAgent(logs: CapturedLogs())
            try agent.createPod("kept-1", ip: "192.168.0.43", annotations: [PodAnnotation.podWithEIP: "true"])
            try agent.createPod("kept-2", ip: "192.168.0.44", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("both pods have their EIPs") {
                try agent.podEIP("kept-1")?.status.status == "InUse" && agent.podEIP("kept-2")?.status.status == "InUse"
            }
            let leases = try ["kept-1", "kept-2"].map {
                try #require(try agent.podEIP($0)?.metadata.annotations[AgentHarness.leaseAnnotation])
            }
            await first.stop()

            let logs = CapturedLogs()
            let second = agent.startAgent(logs: logs, defaultPool: nil)
            try await waitUntil("the second agent finds the annotations wanting") { try !agent.warnings(for: "kept-1").isEmpty }
            try await agent.waitForHeartbeats(2)
            await second.stop()
            #expect(try agent.warnings(for: "kept-1").first?.reason == "InvalidAnnotation")
            for lease in leases {
                #expect(try await agent.kit.lease(lease, token: agent.token)["phase"] == "InUse")
            }
            #expect(logs.text.contains("heartbeat sent"))
        }
    }

    /// A hostNetwork pod has the node's address: it gets a Warning and no EIP, while a pod
    /// created after it on the same node is served.
    @Test
    func aHostNetworkPodGetsAWarningAndNoEIP() async throws {
        try await AgentHarness.with { agent in
            try agent.createPod("on-host", ip: "10.0.0.1", annotations: [PodAnnotation.podWithEIP: "true"], hostNetwork: true)
            try await waitUntil("on-host has its Warning") { try agent.warnings(for: "on-host").contains { $0.reason == "HostNetworkPod" } }
            try agent.createPod("in-pod-network", ip: "192.168.0.45", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("in-pod-network has its EIP") { try agent.podEIP("in-pod-network")?.status.status == "InUse" }
            #expect(try agent.podEIP("on-host") == nil)
            #expect(try agent.address("on-host") == nil)
            let message = try #require(try agent.warnings(for: "on-host").first?.message)
            #expect(message.contains("hostNetwork") && message.contains("10.0.0.1"), "\(message)")
            let pods = try await agent.kit.leases(token: agent.token).map { $0["pod"] }
            #expect(pods == ["in-pod-network"])
        }
    }

    @Test
    func aFollowPodRecreatedUnderTheSameNameGetsANewLease() async throws {
        try await AgentHarness.with { agent in
            try agent.createPod("web-1", ip: "192.168.0.35", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("web-1 has its EIP") { try agent.podEIP("web-1")?.status.status == "InUse" }
            let firstLease = try #require(try agent.podEIP("web-1")?.metadata.annotations[AgentHarness.leaseAnnotation])

            try agent.fake.terminatePod("default", "web-1")
            try await waitUntil("web-1's PodEIP is gone") { try agent.podEIP("web-1") == nil }
            try agent.createPod("web-1", ip: "192.168.0.36", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("the new web-1 has its EIP") { try agent.podEIP("web-1")?.status.privateIPAddress == "192.168.0.36" }
            let secondLease = try #require(try agent.podEIP("web-1")?.metadata.annotations[AgentHarness.leaseAnnotation])
            #expect(secondLease != firstLease)
            #expect(try await agent.kit.lease(firstLease, token: agent.token)["phase"] == "Released")
        }
    }

    @Test
    func brokerTokenFileIsReadAgainWhenItChanges() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eip-agent-token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "first-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        let tokens = BrokerTokenSource.file(path)
        #expect(try tokens.token() == "first-token")
        try "second-token-longer".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try tokens.token() == "second-token-longer")
        #expect(!"\(tokens)".contains("token-longer"))
    }

    @Test
    func aNodeAgentServesOnlyItsNodesPodsAndSendsNoHeartbeat() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            let nodeAgent = agent.startAgent(logs: CapturedLogs(), scope: .node("node-1"))
            try agent.createPod("on-node-1", ip: "192.168.0.61", annotations: [PodAnnotation.podWithEIP: "true"])
            try agent.fake.createPod(
                Pod(
                    metadata: ObjectMeta(name: "on-node-2", namespace: "default", annotations: [PodAnnotation.podWithEIP: "true"]),
                    spec: PodSpec(nodeName: "node-2"), status: PodStatus(phase: "Running", podIP: "192.168.0.62")
                )
            )
            try await waitUntil("on-node-1 has its EIP") { try agent.podEIP("on-node-1")?.status.status == "InUse" }
            #expect(try agent.podEIP("on-node-1")?.metadata.labels[AgentScope.nodeLabel] == "node-1")
            await nodeAgent.stop()
            #expect(try agent.podEIP("on-node-2") == nil)
            #expect(try agent.address("on-node-2") == nil)
            #expect(try await agent.kit.cluster("agent-test", token: agent.token)["lastHeartbeat"] == nil)
        }
    }

    /// A node that dies takes its agent with it: another node's agent, elected for the sweep,
    /// applies the release strategy of its pods once the node object is deleted. Follow gives
    /// the EIP up; a StatefulSet's TTL keeps it for the pod's return. The pods themselves are
    /// still there (the pod garbage collector had not run yet).
    @Test
    func aNodeAgentElectedForTheSweepAppliesTheStrategiesOfTheDeadNodesPods() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            try agent.fake.createNode("node-1")
            try agent.fake.createNode("node-2")
            func deadNodes(_ identity: String) -> DeadNodeConfiguration {
                DeadNodeConfiguration(
                    election: LeaderElectionConfiguration(leaseName: "eip-agent-dead-nodes", namespace: "default", identity: identity),
                    period: .seconds(3600), interval: .seconds(1))
            }
            let onNode1 = agent.startAgent(logs: CapturedLogs(), scope: .node("node-1"), deadNodes: deadNodes("agent-1"))
            let logs = CapturedLogs()
            let onNode2 = agent.startAgent(logs: logs, scope: .node("node-2"), deadNodes: deadNodes("agent-2"))
            try agent.createPod("follow-0", ip: "192.168.0.71", annotations: [PodAnnotation.podWithEIP: "true"])
            try agent.createPod(
                "sticky-0", ip: "192.168.0.72", annotations: [PodAnnotation.podWithEIP: "true", PodAnnotation.releaseStrategy: "1h"],
                ownerKind: "StatefulSet")
            try await waitUntil("both pods on node-1 have their EIPs") {
                try agent.podEIP("follow-0")?.status.status == "InUse" && agent.podEIP("sticky-0")?.status.status == "InUse"
            }
            let follow = try #require(try agent.podEIP("follow-0")?.metadata.annotations[AgentHarness.leaseAnnotation])
            let sticky = try #require(try agent.podEIP("sticky-0")?.metadata.annotations[AgentHarness.leaseAnnotation])

            // node-1 and its agent die; a node that is merely up stays untouched.
            await onNode1.stop()
            try await agent.waitForSweeps(logs, count: 2)
            #expect(try await agent.kit.lease(follow, token: agent.token)["phase"] == "InUse")
            try agent.fake.deleteNode("node-1")
            try await waitUntil("follow-0's PodEIP is gone") { try agent.podEIP("follow-0") == nil }
            #expect(try await agent.kit.lease(follow, token: agent.token)["phase"] == "Released")
            try await waitUntil("sticky-0's lease is retained, unbound, and its PodEIP says so") {
                let lease = try await agent.kit.lease(sticky, token: agent.token)
                let shown = try agent.podEIP("sticky-0")?.status.status
                return lease.fields["retained"] as? Bool == true && lease["phase"] == "Allocated" && shown == "Allocated"
            }
            let kept = try #require(try await agent.kit.lease(sticky, token: agent.token)["allocationId"])
            #expect(try await agent.cloud.describe(allocationID: kept, region: "cn-hangzhou")?.status == .available)
            #expect(try agent.pod("follow-0") != nil && agent.pod("sticky-0") != nil)
            #expect(logs.text.contains("the pod's node is dead"))
            await onNode2.stop()
        }
    }

    /// A node NotReady past the period (its kubelet silent) may still run its pods, and its
    /// agent: the sweep releases only the pods being deleted there (evicted, never confirmed),
    /// and the running ones keep their EIPs, with no release-and-allocate loop.
    @Test
    func onANodeLongNotReadyOnlyEvictedPodsLoseTheirEIPs() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            try agent.fake.createNode("node-1")
            try agent.fake.createNode("node-2")
            let deadNodes = DeadNodeConfiguration(
                election: LeaderElectionConfiguration(leaseName: "eip-agent-dead-nodes", namespace: "default", identity: "agent-2"),
                period: .seconds(1), interval: .seconds(1))
            let onNode1 = agent.startAgent(logs: CapturedLogs(), scope: .node("node-1"))
            try agent.createPod("evicted-0", ip: "192.168.0.74", annotations: [PodAnnotation.podWithEIP: "true"])
            try agent.createPod("running-0", ip: "192.168.0.75", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("both pods have their EIPs") {
                try agent.podEIP("evicted-0")?.status.status == "InUse" && agent.podEIP("running-0")?.status.status == "InUse"
            }
            let evicted = try #require(try agent.podEIP("evicted-0")?.metadata.annotations[AgentHarness.leaseAnnotation])
            let running = try #require(try agent.podEIP("running-0")?.metadata.annotations[AgentHarness.leaseAnnotation])
            let allocations = agent.cloud.faults.calls(of: .allocate)

            // The kubelet goes silent; the eviction marks one pod, which nobody will confirm.
            try agent.fake.setNodeReady("node-1", false)
            try agent.fake.deletePod("default", "evicted-0", gracePeriodSeconds: 30)
            let logs = CapturedLogs()
            let sweeper = agent.startAgent(logs: logs, scope: .node("node-2"), deadNodes: deadNodes)
            try await waitUntil("evicted-0's PodEIP is gone") { try agent.podEIP("evicted-0") == nil }
            #expect(try await agent.kit.lease(evicted, token: agent.token)["phase"] == "Released")
            try await agent.waitForSweeps(logs, count: 3)
            #expect(try await agent.kit.lease(running, token: agent.token)["phase"] == "InUse")
            #expect(try agent.podEIP("running-0")?.status.status == "InUse")
            #expect(agent.cloud.faults.calls(of: .allocate) == allocations)
            #expect(try agent.pod("evicted-0")?.isTerminating == true)
            await sweeper.stop()
            await onNode1.stop()
        }
    }

    @Test
    func aClusterAgentSendsItsHeartbeatOncePerIntervalOfItsClock() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            // Resync and heartbeat every minute of a clock the test moves: one beat after the
            // first sync, the next only once the minute has passed, however slow the machine.
            let clock = ManualClock()
            let running = agent.startAgent(logs: CapturedLogs(), interval: .seconds(60), clock: ElapsedClock(clock))
            try agent.createPod("beating", ip: "192.168.0.71", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("beating has its EIP") { try agent.podEIP("beating")?.status.status == "InUse" }
            func lastHeartbeat() async throws -> String? {
                try await agent.kit.cluster("agent-test", token: agent.token)["lastHeartbeat"]
            }
            try await waitUntil("the first heartbeat") { try await lastHeartbeat() != nil }
            let first = try await lastHeartbeat()
            // Both loops asleep until the minute is up (the informer's own backoff waits at most 30 s).
            try await waitUntil("resync and heartbeat to wait for their minute") {
                clock.sleeping(dueWithin: .seconds(60)) - clock.sleeping(dueWithin: .seconds(59)) >= 2
            }
            clock.advance(by: .seconds(59))
            #expect(clock.sleeping(dueWithin: .zero) == 0)
            #expect(try await lastHeartbeat() == first, "a heartbeat before its minute")
            try await clock.advance(by: .seconds(1), once: 2)
            try await waitUntil("the second heartbeat") { try await lastHeartbeat() != first }
            await running.stop()
        }
    }

    @Test
    func podsDeletedWhileTheAgentIsDownAreReleasedWhenItReturnsAndLivePodsAreKept() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            let first = agent.startAgent(logs: CapturedLogs())
            try agent.createPod("gone", ip: "192.168.0.41", annotations: [PodAnnotation.podWithEIP: "true"])
            try agent.createPod("alive", ip: "192.168.0.42", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("both pods have their EIPs") { try agent.address("gone") != nil && agent.address("alive") != nil }
            let goneLease = try #require(try agent.podEIP("gone")?.metadata.annotations[AgentHarness.leaseAnnotation])
            let aliveLease = try #require(try agent.podEIP("alive")?.metadata.annotations[AgentHarness.leaseAnnotation])
            let aliveAddress = try agent.address("alive")
            await first.stop()

            try agent.fake.terminatePod("default", "gone")
            let second = agent.startAgent(logs: CapturedLogs())
            try await waitUntil("the deleted pod's PodEIP is gone") { try agent.podEIP("gone") == nil }
            await second.stop()
            #expect(try await agent.kit.lease(goneLease, token: agent.token)["phase"] == "Released")
            let alive = try await agent.kit.lease(aliveLease, token: agent.token)
            #expect(alive["phase"] == "InUse")
            #expect(alive["ipAddress"] == aliveAddress)
            #expect(try agent.podEIP("alive")?.metadata.annotations[AgentHarness.leaseAnnotation] == aliveLease)
        }
    }

    @Test
    func withLeaderElectionOnlyTheLeaderActsAndStoppingItHandsOver() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            func election(_ identity: String) -> LeaderElectionConfiguration {
                LeaderElectionConfiguration(
                    // Terms long enough that a loaded machine never misses a renewal: the hand-over
                    // below comes from agent-a releasing the Lease when it stops, not from expiry.
                    leaseName: "eip-agent", namespace: "default", identity: identity, leaseDuration: .seconds(20),
                    renewDeadline: .seconds(15), retryPeriod: .milliseconds(200)
                )
            }
            let logsA = CapturedLogs()
            let logsB = CapturedLogs()
            let a = agent.startAgent(logs: logsA, election: election("agent-a"))
            try await waitUntil("agent-a leads") { a.elector?.isLeader == true }
            let b = agent.startAgent(logs: logsB, election: election("agent-b"))
            try await waitUntil("agent-b sees agent-a lead") { b.elector?.observedHolder == "agent-a" }

            try agent.createPod("led-1", ip: "192.168.0.51", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("led-1 has its EIP") { try agent.address("led-1") != nil }
            try await waitUntil("agent-a logs led-1 done") { logsA.text.contains("pod has its EIP") }
            #expect(b.elector?.isLeader == false)
            #expect(!logsB.text.contains("pod has its EIP"))

            await a.stop()
            try await waitUntil("agent-b leads") { b.elector?.isLeader == true }
            try agent.createPod("led-2", ip: "192.168.0.52", annotations: [PodAnnotation.podWithEIP: "true"])
            try await waitUntil("led-2 has its EIP") { try agent.address("led-2") != nil }
            try await waitUntil("agent-b logs led-2 done") { logsB.text.contains("pod has its EIP") }
            await b.stop()
            #expect(!logsA.text.contains(agent.token) && !logsB.text.contains(agent.token))
        }
    }
}

/// A broker (SQLite, simulated cloud) with a cluster, its token and a pool `default`, the fake
/// API server, and (unless told otherwise) a ``PodController`` in cluster scope between them.
struct AgentHarness {
    static let leaseAnnotation = "eip-broker.io/lease-id"

    let broker: TestBroker
    let cloud: SimulatedCloud
    let kit: LeaseTestKit
    let token: String
    let fake: FakeKubernetes
    let client: KubernetesClient

    /// Runs `body` with a broker on the simulated cloud, the cluster `agent-test`, its pool
    /// `default` and the fake API server; and an agent, unless told otherwise.
    static func with(startAgent: Bool = true, _ body: (AgentHarness) async throws -> Void) async throws {
        try await LeaseTestKit.withBrokerAndCloud(.sqlite) { broker, cloud in
            try await serve(broker: broker, cloud: cloud, startAgent: startAgent, body)
        }
    }

    /// The same with the broker's only account an Alibaba Cloud one pointed at the emulator
    /// (signed OpenAPI calls over HTTP); `cloud` is the emulator's own simulated cloud.
    static func withAlibabaEmulator(_ body: (AgentHarness) async throws -> Void) async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            try await fixture.withBroker(.sqlite) { broker in
                try await serve(
                    broker: broker, cloud: fixture.cloud, cluster: ["vpcIds": ["vpc-sim"]],
                    pool: ["provider": "aliyun", "region": "cn-hangzhou"], startAgent: true, body)
            }
        }
    }

    private static func serve(
        broker: TestBroker, cloud: SimulatedCloud, cluster: [String: Any] = [:], pool: [String: Any] = [:], startAgent: Bool,
        _ body: (AgentHarness) async throws -> Void
    ) async throws {
        let kit = LeaseTestKit(broker)
        let token = try await kit.cluster("agent-test", quota: 20, cluster)
        try await kit.pool(pool.merging(["name": "default", "maxSize": 10]) { $1 })
        try await FakeKubernetes.with { fake in
            try await fake.withClient { client in
                let harness = AgentHarness(broker: broker, cloud: cloud, kit: kit, token: token, fake: fake, client: client)
                guard startAgent else { return try await body(harness) }
                let agent = harness.startAgent(logs: fake.logs)
                do {
                    try await body(harness)
                } catch {
                    await agent.stop()
                    throw error
                }
                await agent.stop()
            }
        }
    }

    /// Starts a controller (in cluster scope unless told otherwise), logging to `logs`, under
    /// `election` when given, resyncing and sending heartbeats every `interval` of `clock`.
    ///
    /// Besides StatefulSet, pods of the kind `GameServerSet` keep TTL and Never.
    func startAgent(
        logs: CapturedLogs, scope: AgentScope = .cluster, election: LeaderElectionConfiguration? = nil,
        interval: Duration = .seconds(2), clock: ElapsedClock = .continuous, defaultPool: String? = "default",
        deadNodes: DeadNodeConfiguration? = nil
    ) -> RunningAgent {
        let configuration = AgentConfiguration(
            brokerURL: URL(string: broker.url)!, tokens: .value(token),
            controller: PodControllerConfiguration(
                defaultPool: defaultPool, scope: scope, concurrency: 4, resyncInterval: interval,
                heartbeatInterval: interval, retryBackoff: RetryBackoff(initial: .milliseconds(100), maximum: .seconds(1)),
                brokerWait: 10, statefulWorkloadKinds: StatefulWorkloadKinds(adding: ["GameServerSet"])
            ),
            leaderElection: election, deadNodes: deadNodes
        )
        let service = buildAgent(
            configuration: configuration, kubernetes: client, httpClient: broker.client, clock: clock,
            logger: logs.logger(label: "eip-agent", level: .debug)
        )
        return RunningAgent(elector: service.elector, task: Task { try await service.run() })
    }

    /// Creates a running pod in `default` on `node-1` with the EIP readiness gate and the pod IP
    /// `ip`, controlled by an object of `ownerKind` when given, on the node's network when
    /// `hostNetwork`.
    func createPod(_ name: String, ip: String, annotations: [String: String], ownerKind: String? = nil, hostNetwork: Bool? = nil) throws {
        let owners = ownerKind.map {
            [OwnerReference(apiVersion: "apps/v1", kind: $0, name: "owner-of-\(name)", uid: UUID().uuidString, controller: true)]
        }
        try fake.createPod(
            Pod(
                metadata: ObjectMeta(name: name, namespace: "default", annotations: annotations, ownerReferences: owners ?? []),
                spec: PodSpec(
                    nodeName: "node-1", readinessGates: [PodReadinessGate(conditionType: PodAnnotation.readinessGate)],
                    hostNetwork: hostNetwork),
                status: PodStatus(
                    phase: "Running", podIP: ip, podIPs: [PodIP(ip: ip)],
                    containerStatuses: [ContainerStatus(name: "main", state: ContainerState(running: .init()))]
                )
            )
        )
    }

    func pod(_ name: String) throws -> Pod? {
        try fake.object(Pod.self, .pods, "default", name)
    }

    func podEIP(_ name: String) throws -> PodEIPObject? {
        try fake.object(PodEIPObject.self, .podEIPs, "default", name)
    }

    /// Deletes the PodEIP `name` as `kubectl delete podeip` does (its finalizer holds it).
    func deletePodEIP(_ name: String) throws {
        _ = try fake.withStore { try $0.delete(.podEIPs, namespace: "default", name: name, options: nil) }
    }

    /// The address annotated on pod `name`, if any.
    func address(_ name: String) throws -> String? {
        try pod(name)?.metadata.annotations[PodAnnotation.allocatedAddress]
    }

    /// The events about pod `name`.
    func events(for name: String) throws -> [KubernetesEvent] {
        let page = try fake.withStore {
            try $0.list(.events, namespace: "default", labels: nil, fields: nil, limit: nil, continueToken: nil)
        }
        return try page.items.map { try $0.decode(KubernetesEvent.self) }.filter { $0.involvedObject.name == name }
    }

    /// The Warning events about pod `name`.
    func warnings(for name: String) throws -> [KubernetesEvent] {
        try events(for: name).filter { $0.type == .warning }
    }

    /// Waits until the dead-node sweep logging to `logs` has started `count` more sweeps than it
    /// had when called.
    func waitForSweeps(_ logs: CapturedLogs, count: Int) async throws {
        let before = logs.text.components(separatedBy: "dead-node sweep started").count
        try await waitUntil("\(count) more sweeps") { logs.text.components(separatedBy: "dead-node sweep started").count >= before + count }
    }

    /// Waits until the broker has recorded `count` more heartbeats of the cluster than it had
    /// when called (each seen as a new `lastHeartbeat`).
    func waitForHeartbeats(_ count: Int) async throws {
        var last = try await kit.cluster("agent-test", token: token)["lastHeartbeat"]
        for beat in 1...count {
            try await waitUntil("heartbeat \(beat) of \(count)") {
                let now = try await kit.cluster("agent-test", token: token)["lastHeartbeat"]
                guard now != nil, now != last else { return false }
                last = now
                return true
            }
        }
    }
}

/// A controller running in a task, stopped by cancelling it.
struct RunningAgent {
    let elector: LeaderElector?
    let task: Task<Void, any Error>

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}
