import EIPCore
import Testing

/// A pool's defaults, a request's overrides and the matching of idle addresses to requests.
@Suite("EIPParameters")
struct EIPParametersTests {
    static let full = EIPParameters(
        bandwidth: 100, internetChargeType: "PayByTraffic", instanceChargeType: "PostPaid", isp: "BGP_PRO",
        publicIpAddressPoolId: "pippool-1a2b", resourceGroupId: "rg-acfm2", name: "web", description: "the web tier"
    )

    /// A subscription EIP needs a term the pod cannot give and outlives any pod: refused up front,
    /// naming the field and what to do instead.
    @Test func prePaidIsRefusedWithWhatItNeeds() throws {
        let violation = try #require(EIPParameters(instanceChargeType: "PrePaid").violations(prefix: "defaults.").first)
        #expect(violation.field == "defaults.instanceChargeType")
        #expect(violation.rule.contains("PricingCycle and Period"))
        #expect(violation.rule.contains("pod-eip-instanceid"))
    }

    @Test func emptyAndFullValidParametersHaveNoViolations() {
        #expect(EIPParameters().violations().isEmpty)
        #expect(Self.full.violations().isEmpty)
        #expect(
            EIPParameters(bandwidth: 1, internetChargeType: "PayByBandwidth", instanceChargeType: "PostPaid", isp: "BGP").violations()
                .isEmpty)
        #expect(
            EIPParameters(bandwidth: 1000, name: String(repeating: "n", count: 128), description: String(repeating: "d", count: 256))
                .violations().isEmpty)
    }

    /// One bad field, and the single violation it must produce.
    struct BadField: Sendable, CustomTestStringConvertible {
        var parameters: EIPParameters
        var field: String
        var rule: String
        var testDescription: String { field + ": " + rule }
    }

    @Test(arguments: [
        BadField(parameters: EIPParameters(bandwidth: 0), field: "bandwidth", rule: "must be between 1 and 1000 Mbps (got 0)"),
        BadField(parameters: EIPParameters(bandwidth: 1001), field: "bandwidth", rule: "must be between 1 and 1000 Mbps (got 1001)"),
        BadField(parameters: EIPParameters(bandwidth: -5), field: "bandwidth", rule: "must be between 1 and 1000 Mbps (got -5)"),
        BadField(
            parameters: EIPParameters(internetChargeType: "paybytraffic"), field: "internetChargeType",
            rule: "must be PayByBandwidth or PayByTraffic (got 'paybytraffic')"),
        BadField(
            parameters: EIPParameters(instanceChargeType: "Monthly"), field: "instanceChargeType",
            rule: "must be PostPaid or PrePaid (got 'Monthly')"),
        BadField(
            parameters: EIPParameters(isp: "BGP-PRO"), field: "isp", rule: "must be a line type such as BGP or BGP_PRO (got 'BGP-PRO')"),
        BadField(parameters: EIPParameters(isp: ""), field: "isp", rule: "must be a line type such as BGP or BGP_PRO (got '')"),
        BadField(
            parameters: EIPParameters(publicIpAddressPoolId: "pool-1"), field: "publicIpAddressPoolId",
            rule: "must look like pippool-xxxx: letters, digits and '-', at most 64 characters (got 'pool-1')"
        ),
        BadField(
            parameters: EIPParameters(resourceGroupId: "rg_1"), field: "resourceGroupId",
            rule: "must look like rg-xxxx: letters, digits and '-', at most 64 characters (got 'rg_1')"
        ),
        BadField(
            parameters: EIPParameters(name: String(repeating: "n", count: 129)), field: "name",
            rule: "must be at most 128 characters (512 bytes of UTF-8)"),
        BadField(
            parameters: EIPParameters(description: String(repeating: "d", count: 257)), field: "description",
            rule: "must be at most 256 characters (1024 bytes of UTF-8)"),
        // One character of many bytes (a letter and hundreds of combining marks) is counted by its bytes.
        BadField(
            parameters: EIPParameters(name: "e" + String(repeating: "\u{0301}", count: 300)), field: "name",
            rule: "must be at most 128 characters (512 bytes of UTF-8)"),
        BadField(
            parameters: EIPParameters(description: "e" + String(repeating: "\u{0301}", count: 600)), field: "description",
            rule: "must be at most 256 characters (1024 bytes of UTF-8)"),
    ])
    func namesTheFieldAndRule(_ bad: BadField) {
        #expect(bad.parameters.violations() == [.init(field: bad.field, rule: bad.rule)])
        #expect(bad.parameters.violations(prefix: "overrides.") == [.init(field: "overrides." + bad.field, rule: bad.rule)])
    }

    @Test func gathersEveryViolationInFieldOrder() {
        let bad = EIPParameters(
            bandwidth: 0, internetChargeType: "x", instanceChargeType: "y", isp: "z z", publicIpAddressPoolId: "p",
            resourceGroupId: "r", name: String(repeating: "n", count: 200), description: String(repeating: "d", count: 300)
        )
        #expect(
            bad.violations().map(\.field) == [
                "bandwidth", "internetChargeType", "instanceChargeType", "isp", "publicIpAddressPoolId", "resourceGroupId", "name",
                "description",
            ])
    }

    @Test func overridesReplaceOnlyTheFieldsTheySet() {
        let defaults = Self.full
        #expect(defaults.overridden(by: EIPParameters()) == defaults)
        #expect(EIPParameters().overridden(by: defaults) == defaults)
        let overridden = defaults.overridden(by: EIPParameters(bandwidth: 5, isp: "BGP", name: "api"))
        #expect(
            overridden
                == EIPParameters(
                    bandwidth: 5, internetChargeType: "PayByTraffic", instanceChargeType: "PostPaid", isp: "BGP",
                    publicIpAddressPoolId: "pippool-1a2b", resourceGroupId: "rg-acfm2", name: "api", description: "the web tier"
                )
        )
        let everything = EIPParameters(
            bandwidth: 7, internetChargeType: "PayByBandwidth", instanceChargeType: "PrePaid", isp: "ChinaTelecom",
            publicIpAddressPoolId: "pippool-9", resourceGroupId: "rg-9", name: "n", description: "d"
        )
        #expect(defaults.overridden(by: everything) == everything)
    }

    @Test func anIdleAddressServesARequestWhenEveryCloudVisibleFieldAgrees() {
        let address = Self.full
        #expect(address.canServe(address))
        // Name and description are labels, not properties of the address.
        var renamed = address
        renamed.name = "other"
        renamed.description = nil
        #expect(address.canServe(renamed))
        #expect(renamed.canServe(address))
        #expect(EIPParameters().canServe(EIPParameters(name: "x", description: "y")))
    }

    @Test func anEIPSatisfiesARequestWhenEveryFieldTheRequestSetsAgrees() {
        let described = Self.full
        #expect(described.satisfies(EIPParameters()), "the cloud's defaults accept anything")
        #expect(described.satisfies(described))
        #expect(described.satisfies(EIPParameters(bandwidth: described.bandwidth)))
        #expect(!described.satisfies(Self.changed { $0.bandwidth = (described.bandwidth ?? 1) + 1 }))
        #expect(!described.satisfies(Self.changed { $0.isp = "BGP_PRO_OTHER" }))
        #expect(!EIPParameters().satisfies(EIPParameters(bandwidth: 5)), "a field the request sets must be there")
    }

    static func changed(_ change: (inout EIPParameters) -> Void) -> EIPParameters {
        var parameters = full
        change(&parameters)
        return parameters
    }

    @Test(arguments: [
        changed { $0.bandwidth = 101 }, changed { $0.bandwidth = nil },
        changed { $0.internetChargeType = "PayByBandwidth" }, changed { $0.internetChargeType = nil },
        changed { $0.instanceChargeType = "PrePaid" }, changed { $0.instanceChargeType = nil },
        changed { $0.isp = "BGP" }, changed { $0.isp = nil },
        changed { $0.publicIpAddressPoolId = "pippool-other" }, changed { $0.publicIpAddressPoolId = nil },
        changed { $0.resourceGroupId = "rg-other" }, changed { $0.resourceGroupId = nil },
    ])
    func anyCloudVisibleDifferenceRefuses(wanted: EIPParameters) {
        #expect(!Self.full.canServe(wanted))
        #expect(!wanted.canServe(Self.full))
    }
}
