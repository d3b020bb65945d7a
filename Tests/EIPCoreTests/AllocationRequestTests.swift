import EIPCore
import Testing

/// `AllocationRequest.validated`: every rule of an allocate call, reported all at once.
@Suite("AllocationRequest")
struct AllocationRequestTests {
    static let uid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"

    /// A valid pool request, with any field replaced.
    static func validate(
        cluster: String = "prod", namespace: String = "default", pod: String = "web-0", podUID: String = uid,
        pool: String? = "web", eipInstanceID: String? = nil, releaseStrategy: String? = nil,
        overrides: EIPParameters = EIPParameters(), bandwidthPackageID: String? = nil, allowRob: Bool = false
    ) throws(BrokerError) -> AllocationRequest {
        try AllocationRequest.validated(
            cluster: cluster, namespace: namespace, pod: pod, podUID: podUID, pool: pool, eipInstanceID: eipInstanceID,
            releaseStrategy: releaseStrategy, overrides: overrides, bandwidthPackageID: bandwidthPackageID, allowRob: allowRob
        )
    }

    /// The violations a request is refused with, or `[]` when it is accepted.
    static func violations(_ body: () throws(BrokerError) -> AllocationRequest) -> [BrokerError.FieldViolation] {
        do {
            _ = try body()
            return []
        } catch {
            // A rule only a combination of fields breaks is 422 Unprocessable; any other makes it 400.
            let contextual = error.fieldViolations.allSatisfy(\.isContextual)
            #expect(error.code == (contextual ? .unprocessable : .invalidArgument))
            #expect(error.code.httpStatus == (contextual ? 422 : 400))
            #expect(error.message == error.fieldViolations.map { "\($0.field): \($0.rule)" }.joined(separator: "; "))
            return error.fieldViolations
        }
    }

    @Test func acceptsAPoolRequest() throws {
        let overrides = EIPParameters(bandwidth: 50, isp: "BGP_PRO", name: "web-0")
        let request = try Self.validate(releaseStrategy: "10m", overrides: overrides, bandwidthPackageID: "cbwp-2ze8")
        #expect(request.cluster == "prod")
        #expect(request.namespace == "default")
        #expect(request.pod == "web-0")
        #expect(request.podUID == Self.uid)
        #expect(request.source == .pool(name: "web", overrides: overrides, bandwidthPackageID: "cbwp-2ze8"))
        #expect(request.releaseStrategy == .ttl(milliseconds: 600_000))
    }

    @Test func acceptsAStaticRequest() throws {
        let request = try Self.validate(pod: "db.primary", pool: nil, eipInstanceID: "eip-bp1abc", releaseStrategy: "Never", allowRob: true)
        #expect(request.source == .static(allocationID: "eip-bp1abc", allowRob: true))
        #expect(request.releaseStrategy == .never)
        let plain = try Self.validate(pool: nil, eipInstanceID: "eip-bp1abc")
        #expect(plain.source == .static(allocationID: "eip-bp1abc", allowRob: false))
    }

    @Test(arguments: [
        (String?.none, ReleaseStrategy.follow), ("", .follow), ("Follow", .follow), ("Never", .never),
        ("1h30m", .ttl(milliseconds: 5_400_000)),
    ])
    func releaseStrategyDefaultsToFollow(text: String?, strategy: ReleaseStrategy) throws {
        #expect(try Self.validate(releaseStrategy: text).releaseStrategy == strategy)
    }

    /// One bad request and the one violation it must be refused with.
    struct Rule: Sendable, CustomTestStringConvertible {
        var name: String
        var request: @Sendable () throws(BrokerError) -> AllocationRequest
        var field: String
        var rule: String
        /// Whether the rule relates fields to each other (422) rather than judging one (400).
        var contextual = false
        var testDescription: String { name }
    }

    static let long = String(repeating: "x", count: 100)

    @Test(arguments: [
        Rule(
            name: "cluster not a DNS label", request: { () throws(BrokerError) in try validate(cluster: "Prod_1") },
            field: "cluster", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-'"),
        Rule(
            name: "cluster empty", request: { () throws(BrokerError) in try validate(cluster: "") },
            field: "cluster", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-'"),
        Rule(
            name: "namespace not a DNS label", request: { () throws(BrokerError) in try validate(namespace: "kube.system") },
            field: "namespace", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got 'kube.system')"),
        Rule(
            name: "namespace echoed at most 80 characters", request: { () throws(BrokerError) in try validate(namespace: long) },
            field: "namespace",
            rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got '\(String(repeating: "x", count: 80))')"),
        Rule(
            name: "pod not an object name", request: { () throws(BrokerError) in try validate(pod: "Web-0") },
            field: "pod", rule: "must be a Kubernetes object name: at most 253 lowercase letters, digits, '-' or '.' (got 'Web-0')"),
        Rule(
            name: "pod too long", request: { () throws(BrokerError) in try validate(pod: String(repeating: "p", count: 254)) },
            field: "pod",
            rule:
                "must be a Kubernetes object name: at most 253 lowercase letters, digits, '-' or '.' (got '\(String(repeating: "p", count: 80))')"
        ),
        Rule(
            name: "pod uid empty", request: { () throws(BrokerError) in try validate(podUID: "") },
            field: "podUid", rule: "must be 1-128 letters, digits or '-'"),
        Rule(
            name: "pod uid with other characters", request: { () throws(BrokerError) in try validate(podUID: "uid/1") },
            field: "podUid", rule: "must be 1-128 letters, digits or '-'"),
        Rule(
            name: "release strategy not a strategy", request: { () throws(BrokerError) in try validate(releaseStrategy: "later") },
            field: "releaseStrategy", rule: "must be Follow, Never or a Go duration such as 5m30s (got 'later')"),
        Rule(
            name: "release strategy zero TTL", request: { () throws(BrokerError) in try validate(releaseStrategy: "0s") },
            field: "releaseStrategy", rule: "a TTL must be longer than zero (got '0s')"),
        Rule(
            name: "release strategy beyond 366 days", request: { () throws(BrokerError) in try validate(releaseStrategy: "9000h") },
            field: "releaseStrategy", rule: "a TTL must be at most 8784h (366 days) (got '9000h')"),
        Rule(
            name: "pool and eipInstanceId", request: { () throws(BrokerError) in try validate(pool: "web", eipInstanceID: "eip-1") },
            field: "eipInstanceId", rule: "give either pool or eipInstanceId, not both", contextual: true),
        Rule(
            name: "neither pool nor eipInstanceId", request: { () throws(BrokerError) in try validate(pool: nil, eipInstanceID: nil) },
            field: "pool", rule: "is required unless eipInstanceId names a static EIP", contextual: true),
        Rule(
            name: "pool not a name", request: { () throws(BrokerError) in try validate(pool: "Web Pool") },
            field: "pool", rule: "must be a pool name: 1-63 lowercase letters, digits or '-'"),
        Rule(
            name: "override out of range", request: { () throws(BrokerError) in try validate(overrides: EIPParameters(bandwidth: 2000)) },
            field: "bandwidth", rule: "must be between 1 and 1000 Mbps (got 2000)"),
        Rule(
            name: "override charge type",
            request: { () throws(BrokerError) in try validate(overrides: EIPParameters(internetChargeType: "Free")) },
            field: "internetChargeType", rule: "must be PayByBandwidth or PayByTraffic (got 'Free')"),
        Rule(
            name: "bandwidth package id", request: { () throws(BrokerError) in try validate(bandwidthPackageID: "pkg-1") },
            field: "bandwidthPackageId", rule: "must look like cbwp-xxxx (got 'pkg-1')"),
        Rule(
            name: "eipInstanceId not an EIP id",
            request: { () throws(BrokerError) in try validate(pool: nil, eipInstanceID: "203.0.113.7") },
            field: "eipInstanceId", rule: "must look like eip-xxxx (got '203.0.113.7')"),
        Rule(
            name: "static with overrides",
            request: { () throws(BrokerError) in try validate(pool: nil, eipInstanceID: "eip-1", overrides: EIPParameters(bandwidth: 5)) },
            field: "eipInstanceId",
            rule:
                "a static EIP keeps its own settings: bandwidth, charge types, ISP, pools, package, name and description cannot be given with it",
            contextual: true),
        Rule(
            name: "static with only a name",
            request: { () throws(BrokerError) in try validate(pool: nil, eipInstanceID: "eip-1", overrides: EIPParameters(name: "n")) },
            field: "eipInstanceId",
            rule:
                "a static EIP keeps its own settings: bandwidth, charge types, ISP, pools, package, name and description cannot be given with it",
            contextual: true),
        Rule(
            name: "static with a bandwidth package",
            request: { () throws(BrokerError) in try validate(pool: nil, eipInstanceID: "eip-1", bandwidthPackageID: "cbwp-1") },
            field: "eipInstanceId",
            rule:
                "a static EIP keeps its own settings: bandwidth, charge types, ISP, pools, package, name and description cannot be given with it",
            contextual: true),
        Rule(
            name: "allowRob without a static EIP", request: { () throws(BrokerError) in try validate(allowRob: true) },
            field: "allowRob", rule: "only applies to a static EIP (eipInstanceId)", contextual: true),
    ])
    func refuses(_ rule: Rule) {
        #expect(Self.violations(rule.request) == [.init(field: rule.field, rule: rule.rule, isContextual: rule.contextual)])
    }

    @Test func gathersEveryViolationAtOnce() {
        let found = Self.violations { () throws(BrokerError) in
            try Self.validate(
                cluster: "", namespace: "NS", pod: "a..b", podUID: "", pool: "POOL", releaseStrategy: "-1s",
                overrides: EIPParameters(bandwidth: 0, isp: "b g p"), bandwidthPackageID: "cbwp_", allowRob: true
            )
        }
        #expect(
            found.map(\.field) == [
                "cluster", "namespace", "pod", "podUid", "releaseStrategy", "pool", "bandwidth", "isp", "bandwidthPackageId", "allowRob",
            ])
        let staticFound = Self.violations { () throws(BrokerError) in
            try Self.validate(
                cluster: "Prod", pool: nil, eipInstanceID: "eni-1", releaseStrategy: "9999h", overrides: EIPParameters(bandwidth: 0),
                bandwidthPackageID: "cbwp-1"
            )
        }
        #expect(staticFound.map(\.field) == ["cluster", "releaseStrategy", "eipInstanceId", "eipInstanceId"])
        // Overrides of a static EIP are refused as a whole, not checked one by one.
        #expect(!staticFound.contains { $0.field == "bandwidth" })
    }
}
