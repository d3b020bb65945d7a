import EIPCore
import Foundation
import NIOCore
import Testing

@testable import EIPAgent
@testable import EIPTestSupport

/// The wire format, without a server: times, query encoding, the line splitter of watch streams,
/// watch event decoding, patch bodies and pod decoding.
@Suite struct KubernetesWireTests {
    @Test func timesParseAndFormatAsKubernetesWritesThem() throws {
        let date = try #require(KubernetesTime.date("2024-02-29T23:59:59Z"))
        #expect(KubernetesTime.string(date) == "2024-02-29T23:59:59Z")
        #expect(KubernetesTime.date("2024-03-01T07:59:59+08:00") == date)
        #expect(KubernetesTime.date("2024-02-29T23:59:59.5Z")?.timeIntervalSince1970 == date.timeIntervalSince1970 + 0.5)
        let micro = try #require(KubernetesTime.date("2024-02-29T23:59:59.123456Z"))
        #expect(KubernetesTime.string(micro, fractionalDigits: 6) == "2024-02-29T23:59:59.123456Z")
        #expect(KubernetesTime.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(KubernetesTime.string(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        for bad in ["", "2024-02-29", "2024-02-29T23:59:59", "2024-13-01T00:00:00Z", "2024-02-29T23:59:59.Z", "2024-02-29T23:59:59Zjunk"] {
            #expect(KubernetesTime.date(bad) == nil, "\(bad)")
        }
    }

    @Test func queriesAndPathsArePercentEncoded() {
        #expect(
            PercentEncoding.query([("fieldSelector", "spec.nodeName=node-1"), ("continue", "a+b/c=")])
                == "fieldSelector=spec.nodeName%3Dnode-1&continue=a%2Bb%2Fc%3D"
        )
        #expect(Pod.resource.path(namespace: nil) == "/api/v1/pods")
        #expect(
            PodEIPObject.resource.path(namespace: "ns", name: "web-0", subresource: "status")
                == "/apis/alibabacloud.com/v1beta1/namespaces/ns/podeips/web-0/status")
        #expect(
            CoordinationLease.resource.path(namespace: "eip-agent", name: "eip-agent")
                == "/apis/coordination.k8s.io/v1/namespaces/eip-agent/leases/eip-agent")
    }

    @Test func lineSplitterFindsEventsWhereverChunksAreCut() {
        let stream = "{\"type\":\"ADDED\",\"n\":1}\n{\"type\":\"MODIFIED\",\"n\":2}\n\n{\"type\":\"DELETED\",\"n\":3}\n{\"partial\""
        let bytes = Array(stream.utf8)
        for cut in 0...bytes.count {
            for second in cut...min(bytes.count, cut + 7) {
                var splitter = JSONLineSplitter(maximumLineBytes: 1 << 20)
                var lines: [String] = []
                for chunk in [bytes[..<cut], bytes[cut..<second], bytes[second...]] {
                    splitter.append(chunk)
                    while let line = splitter.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
                }
                #expect(lines == ["{\"type\":\"ADDED\",\"n\":1}", "{\"type\":\"MODIFIED\",\"n\":2}", "", "{\"type\":\"DELETED\",\"n\":3}"])
                #expect(splitter.remainder().map { String(decoding: $0, as: UTF8.self) } == "{\"partial\"")
            }
        }
    }

    @Test func watchEventsDecodeAndErrorsThrow() throws {
        let added = try WatchEvent<Pod>.decode(
            Array(#"{"type":"ADDED","object":{"metadata":{"name":"a","namespace":"ns","resourceVersion":"7"}}}"#.utf8))
        guard case .added(let pod) = added else {
            Issue.record("not added: \(added)")
            return
        }
        #expect(pod.key == ObjectKey(namespace: "ns", name: "a"))
        #expect(added.resourceVersion == "7")

        // A bookmark carries only metadata, even for a type whose spec is required.
        let bookmark = try WatchEvent<PodEIPObject>.decode(
            Array(#"{"type":"BOOKMARK","object":{"kind":"PodEIP","metadata":{"resourceVersion":"12"}}}"#.utf8))
        #expect(bookmark.resourceVersion == "12")

        let gone =
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 5 (9)","reason":"Expired","code":410}}"#
        let error = try #require(throws: KubernetesAPIError.self) { try WatchEvent<Pod>.decode(Array(gone.utf8)) }
        #expect(error.code == .gone)
        #expect(error.reason == "Expired")
        #expect(error.httpStatus == 410)

        let unknown = try #require(throws: KubernetesAPIError.self) {
            try WatchEvent<Pod>.decode(Array(#"{"type":"WAT","object":{}}"#.utf8))
        }
        #expect(unknown.code == .invalidResponse)
    }

    @Test func metadataPatchWritesNullForRemovals() throws {
        var patch = MetadataPatch(resourceVersion: "42")
        patch.annotations[PodAnnotation.allocatedAddress] = "39.102.0.7"
        patch.annotations["example.com/stale"] = .some(nil)
        patch.finalizers = []
        let text = String(decoding: try KubernetesPatch.merge(patch).body, as: UTF8.self)
        #expect(
            text
                == #"{"metadata":{"annotations":{"example.com/stale":null,"k8s.aliyun.com/allocated-eipAddress":"39.102.0.7"},"finalizers":[],"resourceVersion":"42"}}"#
        )
        #expect(try KubernetesPatch.merge(patch).contentType == "application/merge-patch+json")
    }

    @Test func podDecodesFromWhatTheAPIServerSends() throws {
        let json = #"""
            {"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","namespace":"default","uid":"u-1","resourceVersion":"9",
             "creationTimestamp":"2024-05-01T10:00:00Z","labels":{"app":"web"},"annotations":{"k8s.aliyun.com/pod-with-eip":"true"},
             "ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"web","uid":"s-1","controller":true,"blockOwnerDeletion":true}],
             "managedFields":[{"manager":"kubelet"}]},
             "spec":{"nodeName":"node-1","readinessGates":[{"conditionType":"k8s.aliyun.com/eip"}],"containers":[{"name":"c","image":"nginx"}]},
             "status":{"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"}],"hostIP":"192.168.0.2",
              "conditions":[{"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:01Z"}],
              "containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"running":{"startedAt":"2024-05-01T10:00:02Z"}}},
               {"name":"sidecar","state":{"terminated":{"exitCode":137,"reason":"OOMKilled","finishedAt":"2024-05-01T10:01:00Z"}}}]}}
            """#
        let pod = try JSONDecoder().decode(Pod.self, from: Data(json.utf8))
        #expect(pod.spec.nodeName == "node-1")
        #expect(pod.hasReadinessGate(PodAnnotation.readinessGate))
        #expect(pod.status.podIPs == [PodIP(ip: "10.0.0.5")])
        #expect(pod.condition("Ready")?.status == "False")
        #expect(pod.condition("Ready")?.lastTransitionTime == KubernetesTime.date("2024-05-01T10:00:01Z"))
        #expect(pod.metadata.ownerReferences.first?.kind == "StatefulSet")
        #expect(pod.controller?.name == "web")
        #expect(pod.status.containerStatuses.map(\.name) == ["c", "sidecar"])
        #expect(pod.status.containerStatuses[0].state.running != nil)
        #expect(pod.status.containerStatuses[1].state == ContainerState(terminated: .init()))
        #expect(!pod.isTerminating)
        #expect(!pod.hasExited)
        // Encoding writes times as Kubernetes does and leaves out what is empty.
        let encoded = String(decoding: try JSONEncoder.kubernetes().encode(RequestBody(object: pod)), as: UTF8.self)
        #expect(encoded.contains(#""apiVersion":"v1""#))
        #expect(encoded.contains(#""kind":"Pod""#))
        #expect(encoded.contains(#""creationTimestamp":"2024-05-01T10:00:00Z""#))
        #expect(!encoded.contains("finalizers"))
    }

    @Test func leaseTimesAreMicroTimes() throws {
        let spec = LeaseSpec(holderIdentity: "a", leaseDurationSeconds: 15, renewTime: Date(timeIntervalSince1970: 1_700_000_000.25))
        let text = String(decoding: try JSONEncoder.kubernetes().encode(spec), as: UTF8.self)
        #expect(text.contains(#""renewTime":"2023-11-14T22:13:20.250000Z""#))
        #expect(try JSONDecoder().decode(LeaseSpec.self, from: Data(text.utf8)) == spec)
    }

    @Test func backoffGrowsToItsCeilingAndResets() {
        var backoff = RetryBackoff(initial: .milliseconds(100), maximum: .milliseconds(350), multiplier: 2, jitter: 0)
        #expect(
            [backoff.next(), backoff.next(), backoff.next(), backoff.next()]
                == [.milliseconds(100), .milliseconds(200), .milliseconds(350), .milliseconds(350)])
        backoff.reset()
        #expect(backoff.next() == .milliseconds(100))
    }
}
