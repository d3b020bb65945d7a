import EIPAgent
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import Testing

@testable import EIPTestSupport

/// `eip-agent adopt` on a cluster that ran ack-extend-network-controller: three PodEIPs with
/// ACK's finalizer (Auto Follow, Auto TTL on a StatefulSet, Static), their EIPs bound in the
/// cloud. Adopting imports them as they are: the same EIPs and addresses, nothing allocated or
/// unbound, the finalizers the agent's, the pods untouched; the agent then carries on.
@Suite("ACK adoption")
struct ACKAdoptionTests {
    static let region = "cn-hangzhou"

    /// What ACK's controller left for one pod: the pod (annotated, its condition True), its EIP
    /// bound to the pod's IP, and the PodEIP with ACK's finalizer.
    static func leftByACK(
        _ agent: AgentHarness, pod name: String, ip: String, type: AllocationType, strategy: ReleaseStrategy, ownerKind: String? = nil
    ) async throws -> CloudEIP {
        let cloud = agent.cloud
        let eip = try await cloud.allocate(
            CloudAllocationRequest(region: region, parameters: EIPParameters(bandwidth: 5), clientToken: "ack-\(name)", tags: [:]))
        let eni = try await cloud.networkInterface(privateIPAddress: ip, networkInterfaceID: nil, region: region, vpcIDs: [])
        try await cloud.associate(
            allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: ip, region: region, force: false)
        var annotations = [PodAnnotation.allocatedAddress: eip.ipAddress, PodAnnotation.releaseStrategy: strategy.annotationValue]
        annotations[type == .static ? PodAnnotation.eipInstanceID : PodAnnotation.podWithEIP] = type == .static ? eip.allocationID : "true"
        try agent.createPod(name, ip: ip, annotations: annotations, ownerKind: ownerKind)
        try agent.fake.modifyPod("default", name) { pod in
            pod.set(
                "status.conditions",
                .array([.object(["type": .string(PodAnnotation.readinessGate), "status": "True", "reason": "Associate eip succeed"])]))
        }
        var podEIP = PodEIPObject(
            namespace: "default", name: name,
            podEIP: PodEIP(
                spec: PodEIPSpec(
                    allocationID: eip.allocationID, allocationType: PodEIPAllocationType(type: type, releaseStrategy: strategy)),
                status: PodEIPStatus(eipAddress: eip.ipAddress, networkInterfaceID: eni, privateIPAddress: ip, status: "InUse")))
        podEIP.metadata.finalizers = [ACKAdoption.ackFinalizer]
        try agent.fake.withStore { store in
            _ = try store.create(.podEIPs, namespace: "default", body: try FakeJSON.of(podEIP), keepStatus: true)
        }
        return eip
    }

    @Test
    func adoptingACKsPodEIPsKeepsEveryEIPAndItsAssociation() async throws {
        try await AgentHarness.with(startAgent: false) { agent in
            let follow = try await Self.leftByACK(
                agent, pod: "web-7d9f", ip: "192.168.0.81", type: .auto, strategy: .follow, ownerKind: "ReplicaSet")
            let sticky = try await Self.leftByACK(
                agent, pod: "relay-0", ip: "192.168.0.82", type: .auto, strategy: try ReleaseStrategy(parsing: "10m"),
                ownerKind: "StatefulSet")
            let pinned = try await Self.leftByACK(agent, pod: "rtsp-0", ip: "192.168.0.83", type: .static, strategy: .follow)
            let pods = try ["web-7d9f", "relay-0", "rtsp-0"].map { try #require(try agent.pod($0)) }
            let allocations = agent.cloud.faults.calls(of: .allocate)
            let admin = BrokerClient(
                serverURL: URL(string: agent.broker.url)!, tokens: .value(agent.broker.adminToken), httpClient: agent.broker.client)
            let adoption = ACKAdoption(
                client: agent.client, broker: admin, cluster: "agent-test", pool: "default", logger: agent.fake.logs.logger())

            // The dry run lists the plan and changes nothing.
            let plan = try await adoption.run(dryRun: true)
            #expect(plan.map(\.outcome) == [.planned, .planned, .planned], "\(plan)")
            #expect(try await agent.kit.leases(token: agent.token).isEmpty)
            #expect(try agent.podEIP("relay-0")?.metadata.finalizers == [ACKAdoption.ackFinalizer])

            let done = try await adoption.run(dryRun: false)
            #expect(done.allSatisfy { if case .adopted = $0.outcome { true } else { false } }, "\(done)")
            let leases = try await agent.kit.leases(token: agent.token)
            #expect(Set(leases.compactMap { $0["allocationId"] }) == [follow.allocationID, sticky.allocationID, pinned.allocationID])
            for (eip, pod) in [(follow, "web-7d9f"), (sticky, "relay-0"), (pinned, "rtsp-0")] {
                let lease = try #require(leases.first { $0["pod"] == pod })
                #expect(lease["ipAddress"] == eip.ipAddress)
                #expect(lease["phase"] == "InUse")
                let object = try #require(try agent.podEIP(pod))
                #expect(object.metadata.finalizers == [PodEIP.finalizer])
                #expect(object.metadata.annotations[AgentHarness.leaseAnnotation] == lease["id"])
                #expect(object.status.eipAddress == eip.ipAddress && object.status.status == "InUse")
            }
            #expect(leases.first { $0["pod"] == "relay-0" }?["releaseAfter"] == "10m0s")
            #expect(leases.first { $0["pod"] == "rtsp-0" }?["allocationType"] == "Static")
            for pod in pods { #expect(try agent.pod(pod.metadata.name) == pod, "the pod is as ACK left it") }
            #expect(agent.cloud.faults.calls(of: .allocate) == allocations)
            #expect(agent.cloud.faults.calls(of: .unassociate) == 0)
            #expect(try await agent.kit.getPool("default").int("leased") == 2)

            // Once more: everything is the agent's already.
            #expect(try await adoption.run(dryRun: false).map(\.outcome) == Array(repeating: .skipped("the agent's already"), count: 3))

            // The agent takes over from there: it binds nothing again, and Follow still follows.
            let logs = CapturedLogs()
            let running = agent.startAgent(logs: logs)
            try await waitUntil("the agent has reconciled the three adopted pods") {
                ["web-7d9f", "relay-0", "rtsp-0"].allSatisfy {
                    logs.text.contains("pod has its EIP") && logs.text.contains("pod=default/\($0)")
                }
            }
            #expect(agent.cloud.faults.calls(of: .allocate) == allocations)
            #expect(agent.cloud.faults.calls(of: .unassociate) == 0)
            try agent.fake.terminatePod("default", "web-7d9f")
            try await waitUntil("web-7d9f's PodEIP is gone") { try agent.podEIP("web-7d9f") == nil }
            #expect(try await agent.cloud.describe(allocationID: follow.allocationID, region: Self.region) == nil)
            #expect(try await agent.cloud.describe(allocationID: pinned.allocationID, region: Self.region)?.status == .inUse)
            await running.stop()
        }
    }
}
