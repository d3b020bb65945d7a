import EIPAPI
import EIPCore
import Foundation
import Testing

@testable import EIPAgent

/// What the agent sends the broker for a pod: the generated `AllocateRequest`, built from the
/// pod's annotations, under the spec's names only, and accepted by the broker's own validation.
@Suite("AllocateRequest body")
struct AllocateRequestBodyTests {
    static let withEIP = [PodAnnotation.podWithEIP: "true"]

    static func parse(_ annotations: [String: String]) throws -> PodEIPRequest? {
        try PodEIPRequestParser.parse(annotations: annotations, defaultPool: "default")
    }

    /// The request of an auto-allocating pod with these extra annotations.
    static func auto(_ extra: [String: String]) throws -> PodEIPRequest {
        try #require(try parse(withEIP.merging(extra) { $1 }))
    }

    // MARK: - The broker's allocate call

    /// The properties of `AllocateRequest` in `api/openapi.yaml`.
    static let allocateRequestProperties: Set<String> = [
        "cluster", "namespace", "pod", "podUid", "pool", "eipInstanceId", "releaseStrategy", "bandwidth", "internetChargeType",
        "instanceChargeType", "isp", "bandwidthPackageId", "publicIpAddressPoolId", "resourceGroupId", "name", "description", "allowRob",
    ]

    static func jsonObject(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func aPoolRequestBecomesAnAllocateBody() throws {
        let request = try Self.auto([
            PodAnnotation.bandwidth: "5", PodAnnotation.isp: "BGP", PodAnnotation.commonBandwidthPackageID: "cbwp-2ze8",
            PodAnnotation.releaseStrategy: "5m30s",
        ])
        let fields = request.allocateRequest(namespace: "games", pod: "relay-0", podUID: "43c1df2a-f1e0", allowRob: true)
        #expect(
            fields
                == Components.Schemas.AllocateRequest(
                    namespace: "games", pod: "relay-0", podUid: "43c1df2a-f1e0", pool: "default", releaseStrategy: "5m30s",
                    bandwidth: 5, isp: "BGP", bandwidthPackageId: "cbwp-2ze8"
                ))
        let json = try Self.jsonObject(fields)
        #expect(Set(json.keys) == ["namespace", "pod", "podUid", "pool", "releaseStrategy", "bandwidth", "isp", "bandwidthPackageId"])
        #expect(json["podUid"] as? String == "43c1df2a-f1e0")
        #expect(json["bandwidth"] as? Int == 5)
        #expect(json["allowRob"] == nil, "allowRob applies to static EIPs only")
    }

    @Test func aStaticRequestBecomesAnAllocateBody() throws {
        let request = try #require(try Self.parse([PodAnnotation.eciEIPInstanceID: "eip-bp14", PodAnnotation.releaseStrategy: "10m"]))
        let fields = request.allocateRequest(cluster: "prod-hz-1", namespace: "default", pod: "web", podUID: "u-1", allowRob: true)
        let json = try Self.jsonObject(fields)
        #expect(Set(json.keys) == ["cluster", "namespace", "pod", "podUid", "eipInstanceId", "releaseStrategy", "allowRob"])
        #expect(json["eipInstanceId"] as? String == "eip-bp14")
        #expect(json["releaseStrategy"] as? String == "10m0s")
        #expect(json["allowRob"] as? Bool == true)
        #expect(request.allocateRequest(namespace: "default", pod: "web", podUID: "u-1").allowRob == nil)
    }

    @Test func theAllocateBodyRoundTripsAndUsesOnlyTheSpecsNames() throws {
        let request = try Self.auto([
            PodAnnotation.bandwidth: "100", PodAnnotation.internetChargeType: "PayByBandwidth",
            PodAnnotation.instanceChargeType: "PostPaid",
            PodAnnotation.commonBandwidthPackageID: "cbwp-2ze8", PodAnnotation.isp: "BGP_PRO",
            PodAnnotation.publicIPAddressPoolID: "pippool-1a2b",
            PodAnnotation.resourceGroupID: "rg-acfm2", PodAnnotation.name: "relay-0", PodAnnotation.description: "relay",
            PodAnnotation.releaseStrategy: "Never",
        ])
        let fields = request.allocateRequest(cluster: "prod", namespace: "default", pod: "relay-0", podUID: "u-1")
        let json = try Self.jsonObject(fields)
        #expect(Set(json.keys).isSubset(of: Self.allocateRequestProperties))
        #expect(Set(json.keys) == Self.allocateRequestProperties.subtracting(["eipInstanceId", "allowRob"]))
        let decoded = try JSONDecoder().decode(Components.Schemas.AllocateRequest.self, from: JSONEncoder().encode(fields))
        #expect(decoded == fields)
    }

    /// Whatever the agent accepts, the broker's own validation accepts too.
    @Test(arguments: [
        [PodAnnotation.podWithEIP: "true"],
        [PodAnnotation.eciWithEIP: "True", PodAnnotation.releaseStrategy: "1h30m"],
        [PodAnnotation.eipInstanceID: "eip-bp14qx2k7m9n3v5z8w1t", PodAnnotation.releaseStrategy: "Never"],
        [PodAnnotation.eciEIPInstanceID: "eip-1"],
        [
            PodAnnotation.podWithEIP: "true", PodAnnotation.bandwidth: "1000", PodAnnotation.chargeType: "PayByTraffic",
            PodAnnotation.instanceChargeType: "PostPaid", PodAnnotation.commonBandwidthPackageID: "cbwp-1", PodAnnotation.isp: "BGP",
            PodAnnotation.publicIPAddressPoolID: "pippool-1", PodAnnotation.resourceGroupID: "rg-1",
            PodAnnotation.name: String(repeating: "n", count: 128), PodAnnotation.description: String(repeating: "d", count: 256),
            PodAnnotation.releaseStrategy: "8784h", PodAnnotation.brokerPool: "relay-pool",
        ],
    ])
    func theBrokerAcceptsWhatTheAgentAccepts(annotations: [String: String]) throws {
        let request = try #require(try Self.parse(annotations))
        let fields = request.allocateRequest(namespace: "default", pod: "web-0", podUID: "0a1b2c3d-4e5f", allowRob: true)
        let validated = try AllocationRequest.validated(
            cluster: "prod", namespace: fields.namespace, pod: fields.pod, podUID: fields.podUid, pool: fields.pool,
            eipInstanceID: fields.eipInstanceId, releaseStrategy: fields.releaseStrategy,
            overrides: EIPParameters(
                bandwidth: fields.bandwidth, internetChargeType: fields.internetChargeType, instanceChargeType: fields.instanceChargeType,
                isp: fields.isp, publicIpAddressPoolId: fields.publicIpAddressPoolId, resourceGroupId: fields.resourceGroupId,
                name: fields.name, description: fields.description),
            bandwidthPackageID: fields.bandwidthPackageId, allowRob: fields.allowRob ?? false
        )
        #expect(validated.releaseStrategy == request.releaseStrategy)
        switch (validated.source, request.source) {
        case (.pool(let name, let overrides, let package), .pool(let pool)):
            #expect(name == pool)
            #expect(overrides == request.overrides)
            #expect(package == request.bandwidthPackageID)
        case (.static(let id, let allowRob), .static(let allocationID)):
            #expect(id == allocationID)
            #expect(allowRob)
        default:
            Issue.record("source changed: \(validated.source) from \(request.source)")
        }
    }
}
