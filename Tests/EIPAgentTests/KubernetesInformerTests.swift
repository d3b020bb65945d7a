import EIPAgent
import Foundation
import Testing

@testable import EIPTestSupport

/// The pod informer against the fake API server: list then watch, a stream cut mid-event, an
/// expired resource version (`410 Gone` as an event or an answer), bookmarks and stream ends.
@Suite struct KubernetesInformerTests {
    private func pod(_ name: String, node: String = "node-1") -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: PodSpec(nodeName: node), status: PodStatus(podIP: "10.0.0.1"))
    }

    @Test func watchesStreamOverTLS() async throws {
        try await FakeKubernetes.with(tls: true) { fake in
            try fake.createPod(pod("a"))
            try await withInformer(fake) { _, recorder in
                try await recorder.waitFor("synced")
                try fake.createPod(pod("b"))
                try fake.deletePod("default", "a", gracePeriodSeconds: 0)
                try await recorder.waitFor("deleted default/a")
                #expect(recorder.summary == ["added default/a", "synced", "added default/b", "deleted default/a"])
                #expect(fake.url.hasPrefix("https://"))
            }
        }
    }

    /// Runs an informer of pods on `node-1` during `body`, then cancels it and waits for it to end.
    private func withInformer(
        _ fake: FakeKubernetes, _ body: (Informer<Pod>, InformerRecorder<Pod>) async throws -> Void
    ) async throws {
        try await fake.withClient { client in
            let informer = Informer<Pod>(
                client: client, fieldSelector: "spec.nodeName=node-1", pageSize: 2,
                backoff: RetryBackoff(initial: .milliseconds(10), maximum: .milliseconds(200)), logger: fake.logs.logger()
            )
            let recorder = InformerRecorder(informer)
            let task = Task { try await informer.run() }
            do {
                try await body(informer, recorder)
            } catch {
                task.cancel()
                _ = await task.result
                throw error
            }
            task.cancel()
            _ = await task.result
            // Cancelled, the informer has finished its events.
            var iterator = informer.events.makeAsyncIterator()
            #expect(await iterator.next() == nil)
        }
    }

    @Test func listThenWatchSeesAddModifyAndDelete() async throws {
        try await FakeKubernetes.with { fake in
            for name in ["a", "b", "c"] { try fake.createPod(pod(name)) }
            try fake.createPod(pod("elsewhere", node: "node-2"))
            try await withInformer(fake) { informer, recorder in
                try await recorder.waitFor("synced")
                #expect(recorder.summary == ["added default/a", "added default/b", "added default/c", "synced"])
                #expect(informer.hasSynced)
                #expect(fake.requests.filter { $0.path == "/api/v1/pods" && $0.query["watch"] == nil }.count == 2) // pages of 2

                try fake.createPod(pod("d"))
                try fake.createPod(pod("other", node: "node-2"))
                try fake.modifyPod("default", "a") { $0.set("status.podIP", "10.0.0.2") }
                try fake.deletePod("default", "b", gracePeriodSeconds: 0)
                try await recorder.waitFor("deleted default/b")
                #expect(recorder.summary.dropFirst(4) == ["added default/d", "updated default/a", "deleted default/b"])
                #expect(informer.object(ObjectKey(namespace: "default", name: "a"))?.status.podIP == "10.0.0.2")
                #expect(informer.objects.map(\.metadata.name) == ["a", "c", "d"])

                // A pod moving onto the node comes in as an addition, one leaving as a deletion.
                try fake.modifyPod("default", "other") { $0.set("spec.nodeName", "node-1") }
                try fake.modifyPod("default", "c") { $0.set("spec.nodeName", "node-2") }
                try await recorder.waitFor("deleted default/c")
                #expect(recorder.summary.suffix(2) == ["added default/other", "deleted default/c"])
                #expect(informer.objects.map(\.metadata.name) == ["a", "d", "other"])
                #expect(fake.watchRequests.count == 1)
                #expect(fake.watchRequests.first?.query["fieldSelector"] == "spec.nodeName=node-1")
            }
        }
    }

    @Test func aStreamCutMidEventResumesWithoutMissingThePod() async throws {
        try await FakeKubernetes.with { fake in
            try fake.createPod(pod("a"))
            try await withInformer(fake) { informer, recorder in
                try await recorder.waitFor("synced")
                try await waitUntil("the watch is open") { fake.openWatches == 1 }
                let before = try #require(informer.resourceVersion)

                // The next event reaches the agent half-written, then the connection drops.
                fake.withStore { $0.cutWatches(midNextEvent: true) }
                try fake.createPod(pod("b"))
                try await recorder.waitFor("added default/b")
                #expect(recorder.summary == ["added default/a", "synced", "added default/b"])
                let resumed = try #require(fake.watchRequests.dropFirst().first)
                #expect(resumed.query["resourceVersion"] == before)
                #expect(fake.requests.filter { $0.path == "/api/v1/pods" && $0.query["watch"] == nil }.count == 1)

                // Later events still arrive on the resumed stream.
                try fake.deletePod("default", "a", gracePeriodSeconds: 0)
                try await recorder.waitFor("deleted default/a")
                #expect(recorder.summary.filter { $0 == "added default/b" }.count == 1)
            }
        }
    }

    @Test(arguments: [FakeKubernetesStore.GoneDelivery.errorEvent, .httpStatus])
    func goneRelistsAndSynthesizesWhatWasMissed(delivery: FakeKubernetesStore.GoneDelivery) async throws {
        try await FakeKubernetes.with { fake in
            for name in ["a", "b", "c"] { try fake.createPod(pod(name)) }
            try await withInformer(fake) { informer, recorder in
                try await recorder.waitFor("synced")
                try await waitUntil("the watch is open") { fake.openWatches == 1 }

                // While no watch can see it, a is deleted, b changes and d appears; the history
                // is compacted, so the informer's version is too old.
                try fake.withStore { store in
                    store.goneDelivery = delivery
                    try store.expire { store in
                        _ = try store.delete(.pods, namespace: "default", name: "a", options: .object(["gracePeriodSeconds": .int(0)]))
                        _ = try store.patch(
                            .pods, namespace: "default", name: "b", contentType: "application/merge-patch+json",
                            body: .object(["metadata": .object(["labels": .object(["x": "y"])])]), subresource: nil
                        )
                        _ = try store.create(.pods, namespace: "default", body: try FakeJSON.of(pod("d")), keepStatus: true)
                    }
                }
                try await waitUntil("the informer relisted") { recorder.summary.filter { $0 == "synced" }.count == 2 }
                #expect(
                    Set(recorder.summary.dropFirst(4).dropLast()) == ["deleted default/a", "updated default/b", "added default/d"]
                )
                #expect(informer.objects.map(\.metadata.name) == ["b", "c", "d"])
                #expect(informer.object(ObjectKey(namespace: "default", name: "b"))?.metadata.labels == ["x": "y"])

                // And it watches on from the new list.
                try fake.createPod(pod("e"))
                try await recorder.waitFor("added default/e")
            }
        }
    }

    @Test func bookmarksAndStreamEndsMoveTheResumePoint() async throws {
        try await FakeKubernetes.with { fake in
            try fake.createPod(pod("a"))
            try await withInformer(fake) { informer, recorder in
                try await recorder.waitFor("synced")
                try await waitUntil("the watch is open") { fake.openWatches == 1 }

                // Changes elsewhere move the version on; a bookmark tells the informer.
                let bookmark = fake.withStore { store -> String in
                    store.bumpRevision()
                    store.bumpRevision()
                    store.sendBookmarks()
                    return String(store.revision)
                }
                try await waitUntil("the informer took the bookmark") { informer.resourceVersion == bookmark }

                // The server ends the stream (its timeout): the informer watches on from the bookmark.
                fake.withStore { $0.endWatches() }
                try await waitUntil("a second watch") { fake.watchRequests.count == 2 }
                #expect(fake.watchRequests.last?.query["resourceVersion"] == bookmark)
                #expect(fake.watchRequests.last?.query["allowWatchBookmarks"] == "true")

                try fake.createPod(pod("b"))
                try await recorder.waitFor("added default/b")
                #expect(recorder.summary == ["added default/a", "synced", "added default/b"])
            }
        }
    }
}
