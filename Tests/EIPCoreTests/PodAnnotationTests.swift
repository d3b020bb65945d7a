import EIPCore
import Foundation
import Testing

/// The seed's pod annotations mapped to what the agent asks of the broker, every rule's refusal,
/// and the PodEIP the agent writes back.
@Suite("Pod annotations")
struct PodAnnotationTests {
    static let withEIP = [PodAnnotation.podWithEIP: "true"]

    /// The request `annotations` make, with the agent's default pool `default`.
    static func parse(_ annotations: [String: String], defaultPool: String? = "default") throws(PodAnnotationError) -> PodEIPRequest? {
        try PodEIPRequestParser.parse(annotations: annotations, defaultPool: defaultPool)
    }

    /// The request of an auto-allocating pod with these extra annotations.
    static func auto(_ extra: [String: String]) throws -> PodEIPRequest {
        try #require(try parse(withEIP.merging(extra) { $1 }))
    }

    /// The error `annotations` are refused with.
    static func refusal(_ annotations: [String: String], defaultPool: String? = "default") -> PodAnnotationError? {
        do {
            let request = try parse(annotations, defaultPool: defaultPool)
            Issue.record("accepted: \(String(describing: request))")
            return nil
        } catch {
            return error
        }
    }

    // MARK: - The seed's annotation names

    @Test func annotationNamesAreTheSeeds() {
        #expect(PodAnnotation.podWithEIP == "k8s.aliyun.com/pod-with-eip")
        #expect(PodAnnotation.eciWithEIP == "k8s.aliyun.com/eci-with-eip")
        #expect(PodAnnotation.eipInstanceID == "k8s.aliyun.com/pod-eip-instanceid")
        #expect(PodAnnotation.eciEIPInstanceID == "k8s.aliyun.com/eci-eip-instanceid")
        #expect(PodAnnotation.bandwidth == "k8s.aliyun.com/eip-bandwidth")
        #expect(PodAnnotation.internetChargeType == "k8s.aliyun.com/eip-internet-charge-type")
        #expect(PodAnnotation.chargeType == "k8s.aliyun.com/eip-charge-type")
        #expect(PodAnnotation.instanceChargeType == "k8s.aliyun.com/eip-instance-charge-type")
        #expect(PodAnnotation.commonBandwidthPackageID == "k8s.aliyun.com/eip-common-bandwidth-package-id")
        #expect(PodAnnotation.isp == "k8s.aliyun.com/eip-isp")
        #expect(PodAnnotation.publicIPAddressPoolID == "k8s.aliyun.com/eip-public-ip-address-pool-id")
        #expect(PodAnnotation.resourceGroupID == "k8s.aliyun.com/eip-resource-group-id")
        #expect(PodAnnotation.name == "k8s.aliyun.com/eip-name")
        #expect(PodAnnotation.description == "k8s.aliyun.com/eip-description")
        #expect(PodAnnotation.releaseStrategy == "k8s.aliyun.com/pod-eip-release-strategy")
        #expect(PodAnnotation.allocatedAddress == "k8s.aliyun.com/allocated-eipAddress")
        #expect(PodAnnotation.readinessGate == "k8s.aliyun.com/eip")
        #expect(PodAnnotation.readinessGateReason == "Associate eip succeed")
        #expect(PodAnnotation.brokerPool == "eip-broker.io/pool")
    }

    // MARK: - Asking for an EIP

    /// A pod that mentions an EIP in any way may hold a lease, whether its annotations parse or not.
    @Test func anyRequestAnnotationMentionsAnEIP() {
        #expect(PodAnnotation.mentionsAnEIP([PodAnnotation.podWithEIP: "false"]))
        #expect(PodAnnotation.mentionsAnEIP([PodAnnotation.bandwidth: "0"]))
        #expect(PodAnnotation.mentionsAnEIP([PodAnnotation.eciEIPInstanceID: "eip-1"]))
        #expect(PodAnnotation.mentionsAnEIP([PodAnnotation.releaseStrategy: "soon"]))
        #expect(!PodAnnotation.mentionsAnEIP([PodAnnotation.allocatedAddress: "39.102.0.7", "app": "web"]))
        #expect(!PodAnnotation.mentionsAnEIP([:]))
    }

    @Test func aPodWithNeitherAnnotationAsksForNothing() throws {
        #expect(try Self.parse([:]) == nil)
        #expect(try Self.parse(["app": "web", PodAnnotation.bandwidth: "5"]) == nil)
    }

    @Test(arguments: [PodAnnotation.podWithEIP, PodAnnotation.eciWithEIP], ["true", "TRUE", "True", "tRuE"])
    func withEIPTrueInAnyCaseAllocatesFromThePool(annotation: String, value: String) throws {
        let request = try #require(try Self.parse([annotation: value]))
        #expect(request == PodEIPRequest(source: .pool("default")))
        #expect(request.allocationType == .auto)
    }

    @Test(arguments: [PodAnnotation.podWithEIP, PodAnnotation.eciWithEIP], ["false", "FALSE", "False"])
    func withEIPFalseAsksForNothing(annotation: String, value: String) throws {
        #expect(try Self.parse([annotation: value]) == nil)
    }

    @Test(arguments: [PodAnnotation.eipInstanceID, PodAnnotation.eciEIPInstanceID])
    func instanceIDBindsThatStaticEIP(annotation: String) throws {
        let request = try #require(try Self.parse([annotation: "eip-bp14qx2k7m9n3v5z8w1t"]))
        #expect(request == PodEIPRequest(source: .static(allocationID: "eip-bp14qx2k7m9n3v5z8w1t")))
        #expect(request.allocationType == .static)
        #expect(request.overrides == EIPParameters())
    }

    @Test func aStaticEIPTakesAReleaseStrategy() throws {
        let request = try #require(try Self.parse([PodAnnotation.eipInstanceID: "eip-1", PodAnnotation.releaseStrategy: "Never"]))
        #expect(request.releaseStrategy == .never)
    }

    // MARK: - Each parameter annotation to its field

    @Test(arguments: [("1", 1), ("5", 5), ("1000", 1000), ("050", 50)])
    func bandwidthIsMbps(value: String, mbps: Int) throws {
        #expect(try Self.auto([PodAnnotation.bandwidth: value]).overrides.bandwidth == mbps)
    }

    @Test(arguments: [PodAnnotation.internetChargeType, PodAnnotation.chargeType], ["PayByTraffic", "PayByBandwidth"])
    func internetChargeTypeUnderEitherName(annotation: String, value: String) throws {
        #expect(try Self.auto([annotation: value]).overrides == EIPParameters(internetChargeType: value))
    }

    @Test func instanceChargeTypePostPaid() throws {
        #expect(try Self.auto([PodAnnotation.instanceChargeType: "PostPaid"]).overrides == EIPParameters(instanceChargeType: "PostPaid"))
    }

    @Test func commonBandwidthPackageJoinsThatPackage() throws {
        let request = try Self.auto([PodAnnotation.commonBandwidthPackageID: "cbwp-bp1v7x3k9m2q5z8w4n6t"])
        #expect(request.bandwidthPackageID == "cbwp-bp1v7x3k9m2q5z8w4n6t")
        #expect(request.overrides == EIPParameters())
    }

    @Test(arguments: ["BGP", "BGP_PRO", "ChinaTelecom"])
    func isp(value: String) throws {
        #expect(try Self.auto([PodAnnotation.isp: value]).overrides == EIPParameters(isp: value))
    }

    @Test func publicIPAddressPool() throws {
        let request = try Self.auto([PodAnnotation.publicIPAddressPoolID: "pippool-bp1bbpq1jjncxxxx"])
        #expect(request.overrides == EIPParameters(publicIpAddressPoolId: "pippool-bp1bbpq1jjncxxxx"))
    }

    @Test func resourceGroup() throws {
        #expect(
            try Self.auto([PodAnnotation.resourceGroupID: "rg-acfmwqn3x7k2m9q"]).overrides
                == EIPParameters(resourceGroupId: "rg-acfmwqn3x7k2m9q"))
    }

    @Test func nameAndDescriptionUpToTheirLimits() throws {
        let name = String(repeating: "名", count: 128)
        let description = String(repeating: "d", count: 256)
        let request = try Self.auto([PodAnnotation.name: name, PodAnnotation.description: description])
        #expect(request.overrides == EIPParameters(name: name, description: description))
        #expect(try Self.auto([PodAnnotation.name: "game relay 0"]).overrides.name == "game relay 0")
    }

    @Test(arguments: [
        ("Follow", ReleaseStrategy.follow), ("Never", .never), ("10m", .ttl(milliseconds: 600_000)),
        ("5m30s", .ttl(milliseconds: 330_000)), ("1.5h", .ttl(milliseconds: 5_400_000)),
    ])
    func releaseStrategy(value: String, strategy: ReleaseStrategy) throws {
        #expect(try Self.auto([PodAnnotation.releaseStrategy: value]).releaseStrategy == strategy)
    }

    @Test func thePoolAnnotationChoosesTheBrokerPool() throws {
        #expect(try Self.auto([PodAnnotation.brokerPool: "game-relay"]).source == .pool("game-relay"))
        #expect(
            try Self.parse(Self.withEIP.merging([PodAnnotation.brokerPool: "game-relay"]) { $1 }, defaultPool: nil)?.source
                == .pool("game-relay"))
    }

    /// The seed's Deployment example, with our pool annotation.
    @Test func theSeedsDeploymentExample() throws {
        let request = try Self.parse([
            "k8s.aliyun.com/pod-with-eip": "true",
            "k8s.aliyun.com/eip-bandwidth": "5",
            "k8s.aliyun.com/eip-public-ip-address-pool-id": "pippool-bp1bbpq1jjncxxxx",
            "eip-broker.io/pool": "default",
        ])
        #expect(
            request
                == PodEIPRequest(
                    source: .pool("default"), overrides: EIPParameters(bandwidth: 5, publicIpAddressPoolId: "pippool-bp1bbpq1jjncxxxx")))
    }

    /// The seed's StatefulSet example: a 10 minute TTL.
    @Test func theSeedsStatefulSetExample() throws {
        let request = try Self.parse(["k8s.aliyun.com/pod-with-eip": "true", "k8s.aliyun.com/pod-eip-release-strategy": "10m"])
        #expect(request == PodEIPRequest(source: .pool("default"), releaseStrategy: .ttl(milliseconds: 600_000)))
    }

    @Test func everyAnnotationAtOnce() throws {
        let request = try Self.auto([
            PodAnnotation.bandwidth: "100", PodAnnotation.internetChargeType: "PayByBandwidth",
            PodAnnotation.instanceChargeType: "PostPaid", PodAnnotation.commonBandwidthPackageID: "cbwp-2ze8",
            PodAnnotation.isp: "BGP_PRO", PodAnnotation.publicIPAddressPoolID: "pippool-1a2b",
            PodAnnotation.resourceGroupID: "rg-acfm2", PodAnnotation.name: "relay-0", PodAnnotation.description: "relay for games",
            PodAnnotation.releaseStrategy: "Never", PodAnnotation.brokerPool: "relay",
        ])
        #expect(
            request
                == PodEIPRequest(
                    source: .pool("relay"),
                    overrides: EIPParameters(
                        bandwidth: 100, internetChargeType: "PayByBandwidth", instanceChargeType: "PostPaid", isp: "BGP_PRO",
                        publicIpAddressPoolId: "pippool-1a2b", resourceGroupId: "rg-acfm2", name: "relay-0", description: "relay for games"
                    ),
                    bandwidthPackageID: "cbwp-2ze8", releaseStrategy: .never
                )
        )
        #expect(request.overrides.violations().isEmpty, "what the agent accepts, the broker accepts")
    }

    // MARK: - Defaults

    @Test func absentParametersAreLeftToThePool() throws {
        let request = try Self.auto([:])
        // The seed's default PayByTraffic is the pool's default: the agent does not send it.
        #expect(request.overrides.internetChargeType == nil)
        #expect(request.overrides == EIPParameters())
        #expect(request.bandwidthPackageID == nil)
        #expect(request.releaseStrategy == .follow)
        #expect(request.source == .pool("default"))
    }

    @Test func emptyValuesCountAsAbsent() throws {
        let every = [
            PodAnnotation.eipInstanceID, PodAnnotation.eciEIPInstanceID, PodAnnotation.eciWithEIP, PodAnnotation.bandwidth,
            PodAnnotation.internetChargeType, PodAnnotation.chargeType, PodAnnotation.instanceChargeType,
            PodAnnotation.commonBandwidthPackageID, PodAnnotation.isp, PodAnnotation.publicIPAddressPoolID,
            PodAnnotation.resourceGroupID, PodAnnotation.name, PodAnnotation.description, PodAnnotation.releaseStrategy,
            PodAnnotation.brokerPool,
        ]
        let empty = Dictionary(uniqueKeysWithValues: every.map { ($0, "") })
        #expect(try Self.auto(empty) == PodEIPRequest(source: .pool("default")))
        #expect(try Self.parse([PodAnnotation.podWithEIP: ""]) == nil)
    }

    @Test func anEmptyDefaultPoolIsNoDefault() {
        #expect(Self.refusal(Self.withEIP, defaultPool: "")?.annotation == PodAnnotation.brokerPool)
    }

    // MARK: - Precedence

    @Test func theInstanceIDWinsOverWithEIP() throws {
        let pinned = [PodAnnotation.eipInstanceID: "eip-1"]
        #expect(try Self.parse(pinned.merging([PodAnnotation.podWithEIP: "true"]) { $1 })?.source == .static(allocationID: "eip-1"))
        #expect(try Self.parse(pinned.merging([PodAnnotation.podWithEIP: "false"]) { $1 })?.source == .static(allocationID: "eip-1"))
        #expect(try Self.parse(pinned.merging([PodAnnotation.eciWithEIP: "true"]) { $1 })?.source == .static(allocationID: "eip-1"))
    }

    @Test func bothNamesWithTheSameMeaningAgree() throws {
        #expect(try Self.parse([PodAnnotation.podWithEIP: "true", PodAnnotation.eciWithEIP: "TRUE"])?.source == .pool("default"))
        #expect(try Self.parse([PodAnnotation.podWithEIP: "false", PodAnnotation.eciWithEIP: "false"]) == nil)
        #expect(
            try Self.parse([PodAnnotation.eipInstanceID: "eip-1", PodAnnotation.eciEIPInstanceID: "eip-1"])?.source
                == .static(allocationID: "eip-1"))
        let both = [PodAnnotation.internetChargeType: "PayByBandwidth", PodAnnotation.chargeType: "PayByBandwidth"]
        #expect(try Self.auto(both).overrides.internetChargeType == "PayByBandwidth")
    }

    @Test func thePoolAnnotationWinsOverTheDefault() throws {
        #expect(try Self.auto([PodAnnotation.brokerPool: "other"]).source == .pool("other"))
    }

    @Test func aPodThatAsksForNothingIsNotChecked() throws {
        #expect(try Self.parse([PodAnnotation.podWithEIP: "false", PodAnnotation.bandwidth: "lots"]) == nil)
        #expect(try Self.parse([PodAnnotation.releaseStrategy: "forever"]) == nil)
    }

    @Test func theFirstBrokenRuleIsReportedInAFixedOrder() {
        let annotations = [
            PodAnnotation.podWithEIP: "true", PodAnnotation.description: String(repeating: "d", count: 300),
            PodAnnotation.bandwidth: "0", PodAnnotation.releaseStrategy: "forever",
        ]
        for _ in 0..<20 { #expect(Self.refusal(annotations)?.annotation == PodAnnotation.bandwidth) }
    }

    // MARK: - Refusals: each names the annotation and the rule

    /// One bad annotation set and the error it must produce.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var annotations: [String: String]
        var annotation: String
        var rule: String
        var value: String
        var testDescription: String { "\(annotation) = \(String(value.prefix(20)).debugDescription)" }

        /// An auto-allocating pod with `annotation: value`, refused for `rule`.
        static func auto(_ annotation: String, _ value: String, _ rule: String) -> Refusal {
            Refusal(annotations: [PodAnnotation.podWithEIP: "true", annotation: value], annotation: annotation, rule: rule, value: value)
        }
    }

    static let bandwidthRule = "must be a whole number of Mbps from 1 to 1000"
    static let eipIDRule = "must be an EIP instance id like eip-bp14qxxxx: letters, digits and '-', at most 64 characters"
    static let releaseRule = "must be Follow, Never or a Go duration such as 5m30s"

    static let refusals: [Refusal] = [
        Refusal(
            annotations: [PodAnnotation.podWithEIP: "yes"], annotation: PodAnnotation.podWithEIP, rule: "must be \"true\" or \"false\"",
            value: "yes"),
        Refusal(
            annotations: [PodAnnotation.podWithEIP: "1"], annotation: PodAnnotation.podWithEIP, rule: "must be \"true\" or \"false\"",
            value: "1"),
        Refusal(
            annotations: [PodAnnotation.eciWithEIP: "on"], annotation: PodAnnotation.eciWithEIP, rule: "must be \"true\" or \"false\"",
            value: "on"),
        Refusal(
            annotations: [PodAnnotation.eipInstanceID: "bp14qx"], annotation: PodAnnotation.eipInstanceID, rule: eipIDRule, value: "bp14qx"),
        Refusal(
            annotations: [PodAnnotation.eipInstanceID: "eip-"], annotation: PodAnnotation.eipInstanceID, rule: eipIDRule, value: "eip-"),
        Refusal(
            annotations: [PodAnnotation.eciEIPInstanceID: "eip_1"], annotation: PodAnnotation.eciEIPInstanceID, rule: eipIDRule,
            value: "eip_1"),
        .auto(PodAnnotation.bandwidth, "0", bandwidthRule),
        .auto(PodAnnotation.bandwidth, "1001", bandwidthRule),
        .auto(PodAnnotation.bandwidth, "-5", bandwidthRule),
        .auto(PodAnnotation.bandwidth, "+5", bandwidthRule),
        .auto(PodAnnotation.bandwidth, "5M", bandwidthRule),
        .auto(PodAnnotation.bandwidth, " 5", bandwidthRule),
        .auto(PodAnnotation.bandwidth, "5.5", bandwidthRule),
        .auto(PodAnnotation.bandwidth, "99999999999999999999999", bandwidthRule),
        .auto(PodAnnotation.internetChargeType, "paybytraffic", "must be PayByTraffic or PayByBandwidth"),
        .auto(PodAnnotation.chargeType, "PayByHour", "must be PayByTraffic or PayByBandwidth"),
        .auto(PodAnnotation.instanceChargeType, "Monthly", "must be PostPaid or PrePaid"),
        .auto(PodAnnotation.instanceChargeType, "PrePaid", EIPParameters.prePaidRefusal),
        .auto(PodAnnotation.commonBandwidthPackageID, "bwp-1", "must look like cbwp-xxxx: letters, digits and '-', at most 64 characters"),
        .auto(PodAnnotation.isp, "BGP-PRO", "must be a line type such as BGP or BGP_PRO: 1-32 letters, digits or '_'"),
        .auto(PodAnnotation.publicIPAddressPoolID, "pool-1", "must look like pippool-xxxx: letters, digits and '-', at most 64 characters"),
        .auto(PodAnnotation.resourceGroupID, "rg_1", "must look like rg-xxxx: letters, digits and '-', at most 64 characters"),
        .auto(PodAnnotation.name, String(repeating: "n", count: 129), "must be at most 128 characters (512 bytes of UTF-8)"),
        .auto(PodAnnotation.name, "relay\u{0}0", "must not contain control characters"),
        .auto(PodAnnotation.description, String(repeating: "d", count: 257), "must be at most 256 characters (1024 bytes of UTF-8)"),
        .auto(PodAnnotation.description, "line\nbreak", "must not contain control characters"),
        .auto(PodAnnotation.releaseStrategy, "forever", releaseRule),
        .auto(PodAnnotation.releaseStrategy, "follow", releaseRule),
        .auto(PodAnnotation.releaseStrategy, "10d", releaseRule),
        .auto(PodAnnotation.releaseStrategy, "-5m", releaseRule),
        .auto(PodAnnotation.releaseStrategy, "0s", "a TTL must be longer than zero"),
        .auto(PodAnnotation.releaseStrategy, "9000h", "a TTL must be at most 8784h (366 days)"),
        .auto(PodAnnotation.brokerPool, "Default", "must be a broker pool name: 1-63 lowercase letters, digits or '-'"),
        Refusal(
            annotations: [PodAnnotation.eipInstanceID: "eip-1", PodAnnotation.releaseStrategy: "soon"],
            annotation: PodAnnotation.releaseStrategy, rule: releaseRule, value: "soon"
        ),
    ]

    @Test(arguments: refusals)
    func eachRuleIsRefusedNamingTheAnnotation(_ refusal: Refusal) throws {
        let error = try #require(Self.refusal(refusal.annotations))
        #expect(error == PodAnnotationError(annotation: refusal.annotation, rule: refusal.rule, value: refusal.value))
    }

    /// Every annotation that shapes a new EIP is ignored beside a static one, under either name
    /// of the instance id, even with a value it would refuse, and listed in the parser's order.
    @Test(arguments: [
        (PodAnnotation.brokerPool, "default"), (PodAnnotation.bandwidth, "5"), (PodAnnotation.internetChargeType, "PayByTraffic"),
        (PodAnnotation.chargeType, "PayByTraffic"), (PodAnnotation.instanceChargeType, "PrePaid"),
        (PodAnnotation.commonBandwidthPackageID, "cbwp-1"), (PodAnnotation.isp, "BGP"), (PodAnnotation.publicIPAddressPoolID, "pippool-1"),
        (PodAnnotation.resourceGroupID, "rg-1"), (PodAnnotation.name, "relay"), (PodAnnotation.description, "relay"),
        (PodAnnotation.bandwidth, "not-a-number"),
    ])
    func aStaticEIPIgnoresAutoAllocationAnnotations(annotation: String, value: String) throws {
        for instanceAnnotation in [PodAnnotation.eipInstanceID, PodAnnotation.eciEIPInstanceID] {
            let request = try #require(try Self.parse([instanceAnnotation: "eip-1", annotation: value]))
            #expect(request == PodEIPRequest(source: .static(allocationID: "eip-1"), ignoredAnnotations: [annotation]))
        }
        let several = try #require(
            try Self.parse([PodAnnotation.eipInstanceID: "eip-1", PodAnnotation.isp: "BGP", PodAnnotation.bandwidth: "10"]))
        #expect(several.ignoredAnnotations == [PodAnnotation.bandwidth, PodAnnotation.isp])
        #expect(several.overrides == EIPParameters())
    }

    @Test func conflictingCompatibleNamesAreRefusedNamingThePrimary() throws {
        let withEIP = try #require(Self.refusal([PodAnnotation.podWithEIP: "false", PodAnnotation.eciWithEIP: "true"]))
        #expect(withEIP.annotation == PodAnnotation.podWithEIP)
        #expect(withEIP.value == "false")
        #expect(withEIP.rule == "conflicts with k8s.aliyun.com/eci-with-eip ('true'): set one of them, or both to the same value")

        let instance = try #require(Self.refusal([PodAnnotation.eipInstanceID: "eip-1", PodAnnotation.eciEIPInstanceID: "eip-2"]))
        #expect(
            instance
                == PodAnnotationError(
                    annotation: PodAnnotation.eipInstanceID,
                    rule: "conflicts with k8s.aliyun.com/eci-eip-instanceid ('eip-2'): set one of them, or both to the same value",
                    value: "eip-1"
                ))

        let charge = try #require(
            Self.refusal(
                [
                    PodAnnotation.podWithEIP: "true", PodAnnotation.internetChargeType: "PayByTraffic",
                    PodAnnotation.chargeType: "PayByBandwidth",
                ]
            ))
        #expect(charge.annotation == PodAnnotation.internetChargeType)
        #expect(charge.value == "PayByTraffic")
    }

    @Test func aBadCompatibleValueIsNamedUnderItsOwnName() throws {
        let error = try #require(Self.refusal([PodAnnotation.podWithEIP: "true", PodAnnotation.chargeType: "Monthly"]))
        #expect(error.annotation == PodAnnotation.chargeType)
    }

    @Test func withoutAnyPoolTheAgentNamesThePoolAnnotation() throws {
        let none = try #require(Self.refusal(Self.withEIP, defaultPool: nil))
        #expect(none == PodAnnotationError(annotation: "eip-broker.io/pool", rule: "is required: the agent has no default pool", value: ""))
        let bad = try #require(Self.refusal(Self.withEIP, defaultPool: "Bad_Pool"))
        #expect(bad.annotation == "eip-broker.io/pool")
        #expect(bad.value == "Bad_Pool")
        #expect(bad.rule == "is absent and the agent's default pool must be a broker pool name: 1-63 lowercase letters, digits or '-'")
    }

    @Test func theErrorReadsAnnotationRuleAndValue() {
        let error = PodAnnotationError(annotation: PodAnnotation.bandwidth, rule: Self.bandwidthRule, value: "0")
        #expect(error.description == "k8s.aliyun.com/eip-bandwidth: must be a whole number of Mbps from 1 to 1000 (got '0')")
        let long = PodAnnotationError(
            annotation: PodAnnotation.name, rule: "must be at most 128 characters (512 bytes of UTF-8)",
            value: String(repeating: "n", count: 500))
        #expect(
            long.description
                == "k8s.aliyun.com/eip-name: must be at most 128 characters (512 bytes of UTF-8) (got '\(String(repeating: "n", count: 80))...')"
        )
    }
}

/// The PodEIP the agent keeps beside each pod: the seed's spec and status, under the seed's names.
@Suite("PodEIP")
struct PodEIPTests {
    /// The seed's Deployment example output, spec and status as printed by `kubectl get podeip -o yaml`.
    static let seedDeploymentPodEIP = """
        spec:
          allocationID: eip-2ze2qe8zsxxx
          allocationType:
            releaseStrategy: Follow
            type: Auto
        status:
          eipAddress: 39.102.XX.XX
          internetChargeType: PayByTraffic
          isp: BGP
          networkInterfaceID: eni-2zeagv8f3xxxx
          podLastSeen: "2023-12-15T05:18:47Z"
          privateIPAddress: 192.168.XX.XX
          publicIpAddressPoolID: pippool-2ze498cmhk96xxx
          resourceGroupID: rg-acfmwxxxxxsq
          status: InUse
        """

    /// The seed's StatefulSet example output (pod `example-0`).
    static let seedStatefulSetPodEIP = """
        spec:
          allocationID: eip-2ze08metxxx
          allocationType:
            releaseAfter: 10m
            releaseStrategy: TTL
            type: Auto
        status:
          eipAddress: 39.105.XX.XX
          internetChargeType: PayByTraffic
          isp: BGP
          networkInterfaceID: eni-2ze4tkg4xxx
          podLastSeen: "2023-12-15T05:31:34Z"
          privateIPAddress: 192.168.XX.XX
          resourceGroupID: rg-acfmwxxx
          status: InUse
        """

    /// Dotted key paths and scalar values of a block-style YAML mapping (all the seed's examples need).
    static func yamlLeaves(_ yaml: String) -> [String: String] {
        var leaves: [String: String] = [:]
        var stack: [(indent: Int, key: String)] = []
        for line in yaml.split(separator: "\n") {
            let indent = line.prefix(while: { $0 == " " }).count
            let body = line.dropFirst(indent)
            guard let colon = body.firstIndex(of: ":") else { continue }
            let key = String(body[..<colon])
            var value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            while let last = stack.last, last.indent >= indent { stack.removeLast() }
            let path = (stack.map(\.key) + [key]).joined(separator: ".")
            if value.isEmpty {
                stack.append((indent, key))
            } else {
                if value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                leaves[path] = value
            }
        }
        return leaves
    }

    /// Dotted key paths and values of a decoded JSON object.
    static func jsonLeaves(_ object: [String: Any], prefix: String = "") -> [String: String] {
        var leaves: [String: String] = [:]
        for (key, value) in object {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if let nested = value as? [String: Any] {
                leaves.merge(jsonLeaves(nested, prefix: path)) { $1 }
            } else {
                leaves[path] = "\(value)"
            }
        }
        return leaves
    }

    static func encodedLeaves(_ podEIP: PodEIP) throws -> [String: String] {
        let data = try JSONEncoder().encode(podEIP)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return jsonLeaves(object)
    }

    /// A lease as the broker holds it for the seed's Deployment example.
    static func lease(
        releaseStrategy: ReleaseStrategy = .follow, allocationType: AllocationType = .auto,
        parameters: EIPParameters = EIPParameters(
            bandwidth: 5, internetChargeType: "PayByTraffic", isp: "BGP", publicIpAddressPoolId: "pippool-2ze498cmhk96xxx",
            resourceGroupId: "rg-acfmwxxxxxsq"
        ),
        allocationID: String? = "eip-2ze2qe8zsxxx", ipAddress: String? = "39.102.XX.XX", phase: LeasePhase = .inUse,
        podLastSeen: Timestamp? = Timestamp(milliseconds: 1_702_617_527_000)
    ) -> Lease {
        Lease(
            id: "0193a5e2", cluster: "prod", namespace: "default", pod: "example-xxx", podUID: "43xxx-f1xx", pool: "default",
            allocationType: allocationType, releaseStrategy: releaseStrategy, parameters: parameters, allocationID: allocationID,
            ipAddress: ipAddress, networkInterfaceID: "eni-2zeagv8f3xxxx", privateIPAddress: "192.168.XX.XX", phase: phase,
            podLastSeen: podLastSeen, createdAt: Timestamp(milliseconds: 1_702_614_337_000),
            updatedAt: Timestamp(milliseconds: 1_702_617_527_000)
        )
    }

    @Test func resourceNames() {
        #expect(PodEIP.apiVersion == "\(PodEIP.group)/\(PodEIP.version)")
        #expect(PodEIP.apiVersion == "alibabacloud.com/v1beta1")
        #expect(PodEIP.kind == "PodEIP")
        #expect(PodEIP.plural == "podeips")
    }

    @Test func aLeaseEncodesAsTheSeedsDeploymentPodEIP() throws {
        #expect(try Self.encodedLeaves(PodEIP(lease: Self.lease())) == Self.yamlLeaves(Self.seedDeploymentPodEIP))
    }

    @Test func aTTLLeaseEncodesAsTheSeedsStatefulSetPodEIP() throws {
        let lease = Self.lease(
            releaseStrategy: .ttl(milliseconds: 600_000),
            parameters: EIPParameters(internetChargeType: "PayByTraffic", isp: "BGP", resourceGroupId: "rg-acfmwxxx"),
            allocationID: "eip-2ze08metxxx", ipAddress: "39.105.XX.XX", podLastSeen: Timestamp(milliseconds: 1_702_618_294_000)
        )
        var podEIP = PodEIP(lease: lease)
        podEIP.status.networkInterfaceID = "eni-2ze4tkg4xxx"
        #expect(try Self.encodedLeaves(podEIP) == Self.yamlLeaves(Self.seedStatefulSetPodEIP))
    }

    @Test func theSeedsPodEIPDecodes() throws {
        let json = #"""
            {"spec":{"allocationID":"eip-2ze08metxxx","allocationType":{"releaseAfter":"10m","releaseStrategy":"TTL","type":"Auto"}},
             "status":{"eipAddress":"39.105.XX.XX","internetChargeType":"PayByTraffic","isp":"BGP","networkInterfaceID":"eni-2ze4tkg4xxx",
                       "podLastSeen":"2023-12-15T05:31:34Z","privateIPAddress":"192.168.XX.XX","resourceGroupID":"rg-acfmwxxx","status":"InUse"}}
            """#
        let podEIP = try JSONDecoder().decode(PodEIP.self, from: Data(json.utf8))
        let ttl = PodEIPAllocationType(type: .auto, releaseStrategy: .ttl(milliseconds: 600_000))
        #expect(podEIP.spec == PodEIPSpec(allocationID: "eip-2ze08metxxx", allocationType: ttl))
        #expect(
            podEIP.status
                == PodEIPStatus(
                    eipAddress: "39.105.XX.XX", internetChargeType: "PayByTraffic", isp: "BGP", networkInterfaceID: "eni-2ze4tkg4xxx",
                    podLastSeen: Timestamp(milliseconds: 1_702_618_294_000), privateIPAddress: "192.168.XX.XX",
                    resourceGroupID: "rg-acfmwxxx",
                    status: "InUse"
                ))
    }

    @Test(arguments: [
        ReleaseStrategy.follow, .never, .ttl(milliseconds: 600_000), .ttl(milliseconds: 1_500), .ttl(milliseconds: 5_405_000),
    ])
    func encodingRoundTrips(strategy: ReleaseStrategy) throws {
        var lease = Self.lease(releaseStrategy: strategy)
        lease.bandwidthPackageID = "cbwp-2ze8"
        lease.parameters.name = "relay-0"
        let podEIP = PodEIP(lease: lease)
        #expect(try JSONDecoder().decode(PodEIP.self, from: JSONEncoder().encode(podEIP)) == podEIP)
    }

    @Test(arguments: [
        (Int64(600_000), "10m"), (330_000, "5m30s"), (3_600_000, "1h"), (5_400_000, "1h30m"), (3_605_000, "1h0m5s"),
        (1_500, "1.5s"), (250, "250ms"), (60_000, "1m"), (45_000, "45s"), (31_622_400_000, "8784h"),
    ])
    func releaseAfterIsWrittenShortAndParsesBack(milliseconds: Int64, text: String) {
        let type = PodEIPAllocationType(type: .auto, releaseStrategy: .ttl(milliseconds: milliseconds))
        #expect(type.releaseAfter == text)
        #expect(GoDuration.milliseconds(text) == milliseconds)
    }

    @Test func allocationTypeAndStrategyOfEachKind() throws {
        let follow = try Self.encodedLeaves(PodEIP(lease: Self.lease()))
        #expect(follow["spec.allocationType.releaseStrategy"] == "Follow")
        #expect(follow["spec.allocationType.releaseAfter"] == nil)
        let never = try Self.encodedLeaves(PodEIP(lease: Self.lease(releaseStrategy: .never, allocationType: .static)))
        #expect(never["spec.allocationType.releaseStrategy"] == "Never")
        #expect(never["spec.allocationType.type"] == "Static")
    }

    @Test func aPendingLeaseShowsOnlyWhatIsKnown() throws {
        let lease = Self.lease(parameters: EIPParameters(), allocationID: nil, ipAddress: nil, phase: .pending, podLastSeen: nil)
        var pending = lease
        pending.networkInterfaceID = nil
        pending.privateIPAddress = nil
        #expect(
            try Self.encodedLeaves(PodEIP(lease: pending)) == [
                "spec.allocationType.releaseStrategy": "Follow", "spec.allocationType.type": "Auto", "status.status": "Pending",
            ])
    }

    @Test func aFailedLeaseShowsFailed() {
        #expect(PodEIP(lease: Self.lease(phase: .failed)).status.status == "Failed")
    }

    @Test func extrasOfACKsOwnTypeUseItsNames() throws {
        var lease = Self.lease()
        lease.bandwidthPackageID = "cbwp-2ze8"
        lease.parameters.name = "relay-0"
        let leaves = try Self.encodedLeaves(PodEIP(lease: lease))
        #expect(leaves["spec.bandwidthPackageID"] == "cbwp-2ze8")
        #expect(leaves["status.bandwidthPackageID"] == "cbwp-2ze8")
        #expect(leaves["status.name"] == "relay-0")
    }

    @Test func podLastSeenIsRFC3339InWholeSeconds() throws {
        let status = PodEIPStatus(podLastSeen: Timestamp(milliseconds: 1_702_617_527_999))
        #expect(status.podLastSeen == Timestamp(milliseconds: 1_702_617_527_000))
        let data = try JSONEncoder().encode(status)
        #expect(String(decoding: data, as: UTF8.self) == #"{"podLastSeen":"2023-12-15T05:18:47Z"}"#)
    }

    @Test(arguments: ["2023-12-15T05:18:47Z", "2023-12-15T05:18:47.250Z", "2023-12-15T13:18:47+08:00"])
    func podLastSeenDecodesRFC3339(text: String) throws {
        let status = try JSONDecoder().decode(PodEIPStatus.self, from: Data(#"{"podLastSeen":"\#(text)"}"#.utf8))
        #expect(status.podLastSeen == Timestamp(milliseconds: 1_702_617_527_000))
    }

    @Test func badDocumentsAreRefused() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PodEIPStatus.self, from: Data(#"{"podLastSeen":"yesterday"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PodEIPAllocationType.self, from: Data(#"{"type":"Auto","releaseStrategy":"TTL"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PodEIPAllocationType.self, from: Data(#"{"type":"Manual","releaseStrategy":"Follow"}"#.utf8))
        }
    }
}
