import EIPAgent
import EIPCore
import Foundation
import Testing

@testable import EIPTestSupport

/// The Kubernetes client against the fake API server: lists and paging, patches, the PodEIP
/// custom resource with its status subresource and finalizer, Events, Leases, raw watches, and
/// the errors of `Status` answers.
@Suite struct KubernetesClientTests {
    private func pod(_ name: String, namespace: String = "default", node: String = "node-1", annotations: [String: String] = [:]) -> Pod {
        Pod(
            metadata: ObjectMeta(name: name, namespace: namespace, annotations: annotations),
            spec: PodSpec(nodeName: node, readinessGates: [PodReadinessGate(conditionType: PodAnnotation.readinessGate)]),
            status: PodStatus(
                phase: "Running", podIP: "10.0.0.9", podIPs: [PodIP(ip: "10.0.0.9")],
                conditions: [
                    PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: KubernetesTime.date("2024-05-01T10:00:00Z")),
                    PodCondition(type: "Ready", status: "False", reason: "ReadinessGatesNotReady"),
                ]
            )
        )
    }

    @Test func listPagesThroughContinueTokens() async throws {
        try await FakeKubernetes.with { fake in
            for index in 0..<7 { try fake.createPod(pod("web-\(index)", node: index.isMultiple(of: 2) ? "node-1" : "node-2")) }
            try await fake.withClient { client in
                let first = try await client.list(Pod.self, namespace: "default", options: ListOptions(limit: 3))
                #expect(first.items.map(\.metadata.name) == ["web-0", "web-1", "web-2"])
                let token = try #require(first.metadata.continueToken)

                let all = try await client.listAll(Pod.self, options: ListOptions(limit: 3))
                #expect(all.items.map(\.metadata.name) == (0..<7).map { "web-\($0)" })
                #expect(all.metadata.resourceVersion == first.metadata.resourceVersion)
                #expect(all.items.allSatisfy { $0.status.podIP == "10.0.0.9" && $0.metadata.uid != nil })
                let pages = fake.requests.filter { $0.path == "/api/v1/pods" }
                #expect(pages.count == 3)
                #expect(pages.dropFirst().allSatisfy { $0.query["continue"] != nil && $0.query["limit"] == "3" })

                let onNode = try await client.listAll(Pod.self, options: ListOptions(fieldSelector: "spec.nodeName=node-1"))
                #expect(onNode.items.map(\.metadata.name) == ["web-0", "web-2", "web-4", "web-6"])

                // A continue token from before a compaction has expired: 410.
                fake.withStore { $0.expire { $0.bumpRevision() } }
                let expired = try await #require(throws: KubernetesAPIError.self) {
                    try await client.list(Pod.self, namespace: "default", options: ListOptions(limit: 3, continueToken: token))
                }
                #expect(expired.code == .gone)
                #expect(expired.reason == "Expired")
            }
        }
    }

    @Test func errorsCarryTheStatusAndNeverTheToken() async throws {
        try await FakeKubernetes.with { fake in
            try await fake.withClient(credentials: .bearerToken("s3cret-token-value")) { client in
                let missing = try await #require(throws: KubernetesAPIError.self) {
                    try await client.get(Pod.self, namespace: "default", name: "nope")
                }
                #expect(missing.code == .notFound)
                #expect(missing.httpStatus == 404)
                #expect(missing.reason == "NotFound")
                #expect(missing.message == "pods \"nope\" not found")
                #expect(fake.requests.last?.authorization == "Bearer s3cret-token-value")

                fake.withStore { $0.requiredToken = "another" }
                let refused = try await #require(throws: KubernetesAPIError.self) {
                    try await client.get(Pod.self, namespace: "default", name: "nope")
                }
                #expect(refused.code == .unauthorized)
                #expect(!"\(refused)".contains("s3cret"))
                #expect(!client.configuration.description.contains("s3cret"))
            }
            #expect(!fake.logs.text.isEmpty)
            #expect(!fake.logs.text.contains("s3cret"))
        }
    }

    @Test func mergePatchOfAnnotationsRoundTrips() async throws {
        try await FakeKubernetes.with { fake in
            let created = try fake.createPod(pod("web-0", annotations: ["keep": "1", "drop": "x"]))
            try await fake.withClient { client in
                var patch = MetadataPatch()
                patch.annotations[PodAnnotation.allocatedAddress] = "39.102.0.7"
                patch.annotations["drop"] = .some(nil)
                let patched = try await client.patchMetadata(Pod.self, namespace: "default", name: "web-0", patch)
                #expect(patched.metadata.annotations == ["keep": "1", PodAnnotation.allocatedAddress: "39.102.0.7"])
                #expect(patched.metadata.resourceVersion != created.metadata.resourceVersion)
                #expect(patched.status == created.status)
                #expect(fake.requests.last?.contentType == "application/merge-patch+json")

                let stored = try #require(try fake.object(Pod.self, .pods, "default", "web-0"))
                #expect(stored.metadata.annotations == patched.metadata.annotations)
                #expect(try await client.get(Pod.self, namespace: "default", name: "web-0") == patched)

                // A patch that requires a version the pod no longer has is refused.
                let stale = try await #require(throws: KubernetesAPIError.self) {
                    try await client.patchMetadata(
                        Pod.self, namespace: "default", name: "web-0",
                        MetadataPatch(annotations: ["x": "y"], resourceVersion: created.metadata.resourceVersion)
                    )
                }
                #expect(stale.code == .conflict)
            }
        }
    }

    /// Deleting a running pod on a node starts its grace period, as the API server does: the pod
    /// is marked and stays (patches included) until its kubelet deletes it with a grace period
    /// of 0; a pod never scheduled goes at once.
    @Test func deletingARunningPodStartsItsGracePeriod() async throws {
        try await FakeKubernetes.with { fake in
            try fake.createPod(pod("web-0"))
            try fake.createPod(pod("pending", node: ""))
            try fake.modifyPod("default", "pending") { $0.set("spec.nodeName", nil) }
            try await fake.withClient { client in
                try fake.deletePod("default", "web-0", gracePeriodSeconds: 45)
                let marked = try await client.get(Pod.self, namespace: "default", name: "web-0")
                #expect(marked.isTerminating)
                #expect(marked.metadata.deletionGracePeriodSeconds == 45)
                #expect(!marked.hasExited)
                // A longer grace period never replaces a shorter one.
                try fake.deletePod("default", "web-0", gracePeriodSeconds: 60)
                #expect(try await client.get(Pod.self, namespace: "default", name: "web-0").metadata.deletionGracePeriodSeconds == 45)
                let patched = try await client.patchMetadata(
                    Pod.self, namespace: "default", name: "web-0",
                    MetadataPatch(annotations: [PodAnnotation.allocatedAddress: "39.102.0.7"]))
                #expect(patched.isTerminating)

                try fake.finishPodDeletion("default", "web-0")
                let gone = try await #require(throws: KubernetesAPIError.self) {
                    try await client.get(Pod.self, namespace: "default", name: "web-0")
                }
                #expect(gone.code == .notFound)

                try fake.deletePod("default", "pending")
                #expect(try fake.object(Pod.self, .pods, "default", "pending") == nil)
            }
        }
    }

    @Test func statusPatchSetsOneConditionByType() async throws {
        try await FakeKubernetes.with { fake in
            try fake.createPod(pod("web-0"))
            try await fake.withClient { client in
                let since = try #require(KubernetesTime.date("2024-05-01T10:00:05Z"))
                let eip = PodCondition(
                    type: PodAnnotation.readinessGate, status: "True", reason: PodAnnotation.readinessGateReason,
                    lastProbeTime: nil, lastTransitionTime: since
                )
                let patched = try await client.patchPodConditions(namespace: "default", name: "web-0", [eip])
                #expect(patched.status.conditions.map(\.type) == ["PodScheduled", "Ready", PodAnnotation.readinessGate])
                #expect(patched.condition(PodAnnotation.readinessGate) == eip)
                #expect(patched.condition("Ready")?.reason == "ReadinessGatesNotReady")
                let request = try #require(fake.requests.last)
                #expect(request.method == "PATCH")
                #expect(request.path == "/api/v1/namespaces/default/pods/web-0/status")
                #expect(request.contentType == "application/strategic-merge-patch+json")

                // The same type again replaces that condition only.
                var failed = eip
                failed.status = "False"
                failed.reason = "AllocateFailed"
                let again = try await client.patchPodConditions(namespace: "default", name: "web-0", [failed])
                #expect(again.status.conditions.count == 3)
                #expect(again.condition(PodAnnotation.readinessGate)?.reason == "AllocateFailed")
                #expect(try fake.object(Pod.self, .pods, "default", "web-0")?.condition(PodAnnotation.readinessGate)?.status == "False")
            }
        }
    }

    @Test func podEIPLifecycleWithStatusSubresourceConflictsAndFinalizer() async throws {
        try await FakeKubernetes.with { fake in
            try await fake.withClient { client in
                let podEIP = PodEIP(
                    spec: PodEIPSpec(allocationID: "eip-1", allocationType: PodEIPAllocationType(type: .auto, releaseStrategy: .follow)),
                    status: PodEIPStatus(eipAddress: "39.102.0.7", privateIPAddress: "10.0.0.9", status: "InUse")
                )
                var object = PodEIPObject(namespace: "default", name: "web-0", podEIP: podEIP)
                object.metadata.finalizers = [PodEIP.finalizer]

                // Create ignores the status: it has a subresource of its own.
                let created = try await client.create(object)
                #expect(created.spec == podEIP.spec)
                #expect(created.status == PodEIPStatus())
                #expect(created.metadata.finalizers == [PodEIP.finalizer])
                let duplicate = try await #require(throws: KubernetesAPIError.self) { try await client.create(object) }
                #expect(duplicate.code == .alreadyExists)

                var withStatus = created
                withStatus.status = podEIP.status
                let statused = try await client.updateStatus(withStatus)
                #expect(statused.status == podEIP.status)
                #expect(fake.requests.last?.path == "/apis/alibabacloud.com/v1beta1/namespaces/default/podeips/web-0/status")

                // An update from the version read before the status write is stale: 409.
                var stale = created
                stale.spec.allocationID = "eip-2"
                let conflict = try await #require(throws: KubernetesAPIError.self) { try await client.update(stale) }
                #expect(conflict.code == .conflict)
                #expect(conflict.reason == "Conflict")

                // From the latest version it goes through, and keeps the status.
                var fresh = try await client.get(PodEIPObject.self, namespace: "default", name: "web-0")
                fresh.spec.allocationType = PodEIPAllocationType(type: .auto, releaseStrategy: .ttl(milliseconds: 600_000))
                fresh.status = PodEIPStatus()
                let updated = try await client.update(fresh)
                #expect(updated.spec.allocationType.releaseAfter == "10m")
                #expect(updated.status == podEIP.status)

                // Status is a merge patch away too (custom resources take no strategic merge).
                let merged = try await client.patch(
                    PodEIPObject.self, namespace: "default", name: "web-0", try .merge(["status": ["status": "Releasing"]]),
                    subresource: "status"
                )
                #expect(merged.status.status == "Releasing")
                #expect(merged.status.eipAddress == "39.102.0.7")
                let strategic = try await #require(throws: KubernetesAPIError.self) {
                    try await client.patch(
                        PodEIPObject.self, namespace: "default", name: "web-0", try .strategicMerge(["status": ["status": "X"]]),
                        subresource: "status"
                    )
                }
                #expect(strategic.code == .unsupportedMediaType)

                // Delete only marks it while the finalizer is there; lifting the finalizer ends it.
                try await client.delete(PodEIPObject.self, namespace: "default", name: "web-0")
                let marked = try await client.get(PodEIPObject.self, namespace: "default", name: "web-0")
                #expect(marked.metadata.deletionTimestamp != nil)
                let lifted = MetadataPatch(finalizers: [], resourceVersion: marked.metadata.resourceVersion)
                _ = try await client.patchMetadata(PodEIPObject.self, namespace: "default", name: "web-0", lifted)
                let gone = try await #require(throws: KubernetesAPIError.self) {
                    try await client.get(PodEIPObject.self, namespace: "default", name: "web-0")
                }
                #expect(gone.code == .notFound)
                let again = try await #require(throws: KubernetesAPIError.self) {
                    try await client.delete(PodEIPObject.self, namespace: "default", name: "web-0")
                }
                #expect(again.code == .notFound)
            }
        }
    }

    @Test func eventsAboutAPodAreCreated() async throws {
        try await FakeKubernetes.with { fake in
            let created = try fake.createPod(pod("web-0"))
            try await fake.withClient { client in
                let event = KubernetesEvent(
                    regarding: created, type: .warning, reason: "InvalidAnnotation",
                    message: "k8s.aliyun.com/eip-bandwidth: must be a whole number", component: "eip-agent", host: "node-1"
                )
                let stored = try await client.create(event)
                #expect(stored.metadata.name.hasPrefix("web-0."))
                let listed = try await client.listAll(KubernetesEvent.self, namespace: "default").items
                #expect(listed.count == 1)
                let only = try #require(listed.first)
                #expect(only.involvedObject.uid == created.metadata.uid)
                #expect(only.involvedObject.kind == "Pod")
                #expect(only.type == .warning)
                #expect(only.reason == "InvalidAnnotation")
                #expect(only.count == 1)
                #expect(only.source?.host == "node-1")
                #expect(fake.requests.last(where: { $0.method == "POST" })?.path == "/api/v1/namespaces/default/events")
            }
        }
    }

    @Test func leasesAreCreatedReadAndUpdatedWithOptimisticConcurrency() async throws {
        try await FakeKubernetes.with { fake in
            try await fake.withClient { client in
                let now = Date(timeIntervalSince1970: 1_700_000_000.5)
                let lease = CoordinationLease(
                    metadata: ObjectMeta(name: "eip-agent", namespace: "eip-agent"),
                    spec: LeaseSpec(holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: now, renewTime: now, leaseTransitions: 0)
                )
                let created = try await client.create(lease)
                #expect(created.spec == lease.spec)
                let wire = try #require(fake.withStore { $0.object(.leases, "eip-agent", "eip-agent") })
                #expect(wire.value(at: "spec.renewTime")?.string == "2023-11-14T22:13:20.500000Z")

                var renewed = created
                renewed.spec.renewTime = now.addingTimeInterval(2)
                let updated = try await client.update(renewed)
                #expect(updated.spec.renewTime == now.addingTimeInterval(2))

                var racing = created
                racing.spec.holderIdentity = "b"
                let lost = try await #require(throws: KubernetesAPIError.self) { try await client.update(racing) }
                #expect(lost.code == .conflict)
                #expect(try await client.get(CoordinationLease.self, namespace: "eip-agent", name: "eip-agent").spec.holderIdentity == "a")
            }
        }
    }

    @Test func watchDeliversEventsBookmarksAndGone() async throws {
        try await FakeKubernetes.with { fake in
            try fake.createPod(pod("before"))
            try await fake.withClient { client in
                let list = try await client.list(Pod.self)
                let version = try #require(list.metadata.resourceVersion)
                let events = try await client.watch(Pod.self, options: WatchOptions(resourceVersion: version))
                var iterator = events.makeAsyncIterator()

                try fake.createPod(pod("web-0"))
                try fake.modifyPod("default", "web-0") { $0.set("status.podIP", "10.0.0.10") }
                try fake.deletePod("default", "web-0", gracePeriodSeconds: 0)
                fake.withStore {
                    $0.bumpRevision()
                    $0.sendBookmarks()
                }
                var seen: [String] = []
                for _ in 0..<4 {
                    switch try await iterator.next() {
                    case .added(let pod): seen.append("added \(pod.metadata.name)")
                    case .modified(let pod): seen.append("modified \(pod.metadata.name) \(pod.status.podIP ?? "")")
                    case .deleted(let pod): seen.append("deleted \(pod.metadata.name)")
                    case .bookmark(let version): seen.append("bookmark \(version == fake.withStore { String($0.revision) })")
                    case nil: seen.append("end")
                    }
                }
                #expect(seen == ["added web-0", "modified web-0 10.0.0.10", "deleted web-0", "bookmark true"])
                let watch = try #require(fake.watchRequests.last)
                #expect(watch.query["allowWatchBookmarks"] == "true")
                #expect(watch.query["resourceVersion"] == version)
                #expect(watch.query["timeoutSeconds"].flatMap(Int.init).map { (240...300).contains($0) } == true)

                // The version expires: the open stream gets an ERROR event with code 410 ...
                fake.withStore { $0.expire { _ in } }
                let gone = try await #require(throws: KubernetesAPIError.self) { _ = try await iterator.next() }
                #expect(gone.code == .gone)

                // ... and a new watch from it is answered 410, or an ERROR event, as the server chooses.
                let streamed = try await client.watch(Pod.self, options: WatchOptions(resourceVersion: version))
                let goneEvent = try await #require(throws: KubernetesAPIError.self) {
                    for try await _ in streamed {}
                }
                #expect(goneEvent.code == .gone)
                fake.withStore { $0.goneDelivery = .httpStatus }
                let refused = try await #require(throws: KubernetesAPIError.self) {
                    _ = try await client.watch(Pod.self, options: WatchOptions(resourceVersion: version))
                }
                #expect(refused.code == .gone)
                #expect(refused.httpStatus == 410)
            }
        }
    }
}
