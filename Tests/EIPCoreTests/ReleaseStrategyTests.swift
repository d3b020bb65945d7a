import EIPCore
import Testing

/// The seed's `k8s.aliyun.com/pod-eip-release-strategy`: `Follow`, `Never` or a Go duration.
@Suite("ReleaseStrategy")
struct ReleaseStrategyTests {
    @Test(arguments: [
        ("", ReleaseStrategy.follow),
        ("Follow", .follow),
        ("Never", .never),
        ("10m", .ttl(milliseconds: 600_000)),
        ("5m30s", .ttl(milliseconds: 330_000)),
        ("1.5h", .ttl(milliseconds: 5_400_000)),
        ("1ms", .ttl(milliseconds: 1)),
        ("+30s", .ttl(milliseconds: 30_000)),
        ("8784h", .ttl(milliseconds: 31_622_400_000)),
        ("366h", .ttl(milliseconds: 1_317_600_000)),
    ])
    func parses(text: String, strategy: ReleaseStrategy) throws {
        #expect(try ReleaseStrategy(parsing: text) == strategy)
    }

    @Test(arguments: ["follow", "never", "FOLLOW", "Always", "TTL", "10", "-5m", "10 m", "5x", "1..5s"])
    func rejectsWhatIsNoStrategy(text: String) {
        let error = #expect(throws: BrokerError.self) { try ReleaseStrategy(parsing: text) }
        #expect(error?.code == .invalidArgument)
        #expect(
            error?.fieldViolations == [
                .init(field: "releaseStrategy", rule: "must be Follow, Never or a Go duration such as 5m30s (got '\(text)')")
            ])
        #expect(error?.message == "releaseStrategy: must be Follow, Never or a Go duration such as 5m30s (got '\(text)')")
    }

    @Test(arguments: ["0", "0s", "0ms", "0h0m0s", "+0"])
    func refusesZeroTTL(text: String) {
        let error = #expect(throws: BrokerError.self) { try ReleaseStrategy(parsing: text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations == [.init(field: "releaseStrategy", rule: "a TTL must be longer than zero (got '\(text)')")])
    }

    @Test(arguments: ["8784h0m0.001s", "8785h", "367h24h8760h", "100000h", "2562047h"])
    func refusesTTLBeyond366Days(text: String) {
        let error = #expect(throws: BrokerError.self) { try ReleaseStrategy(parsing: text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations == [.init(field: "releaseStrategy", rule: "a TTL must be at most 8784h (366 days) (got '\(text)')")])
    }

    @Test func maximumIs366Days() {
        #expect(ReleaseStrategy.maximumTTLMilliseconds == 366 * 86_400_000)
        #expect(throws: Never.self) { try ReleaseStrategy(parsing: "8784h") }
    }

    @Test func errorsNameTheGivenField() {
        let annotation = "metadata.annotations[k8s.aliyun.com/pod-eip-release-strategy]"
        let error = #expect(throws: BrokerError.self) { try ReleaseStrategy(parsing: "soon", field: annotation) }
        #expect(error?.fieldViolations.map(\.field) == [annotation])
        #expect(error?.message.hasPrefix("\(annotation): must be Follow, Never") == true)
    }

    /// How a strategy shows in the API, the PodEIP spec and the store.
    struct Shown: Sendable, CustomTestStringConvertible {
        var strategy: ReleaseStrategy
        var kind: String
        var releaseAfter: String?
        var ttl: Int64?
        var description: String
        var testDescription: String { description }
    }

    @Test(arguments: [
        Shown(strategy: .follow, kind: "Follow", releaseAfter: nil, ttl: nil, description: "Follow"),
        Shown(strategy: .never, kind: "Never", releaseAfter: nil, ttl: nil, description: "Never"),
        Shown(strategy: .ttl(milliseconds: 600_000), kind: "TTL", releaseAfter: "10m0s", ttl: 600_000, description: "TTL(10m0s)"),
        Shown(strategy: .ttl(milliseconds: 5_400_000), kind: "TTL", releaseAfter: "1h30m0s", ttl: 5_400_000, description: "TTL(1h30m0s)"),
        Shown(strategy: .ttl(milliseconds: 1_500), kind: "TTL", releaseAfter: "1.5s", ttl: 1_500, description: "TTL(1.5s)"),
    ])
    func showsKindAndReleaseAfter(_ shown: Shown) {
        #expect(shown.strategy.kind == shown.kind)
        #expect(shown.strategy.releaseAfter == shown.releaseAfter)
        #expect(shown.strategy.ttlMilliseconds == shown.ttl)
        #expect(shown.strategy.description == shown.description)
        #expect(ReleaseStrategy(kind: shown.kind, ttlMilliseconds: shown.ttl) == shown.strategy)
    }

    @Test func rebuildsFromStoredColumns() {
        #expect(ReleaseStrategy(kind: "Follow", ttlMilliseconds: 5) == .follow)
        #expect(ReleaseStrategy(kind: "Never", ttlMilliseconds: nil) == .never)
        #expect(ReleaseStrategy(kind: "TTL", ttlMilliseconds: 42) == .ttl(milliseconds: 42))
        #expect(ReleaseStrategy(kind: "TTL", ttlMilliseconds: nil) == nil)
        #expect(ReleaseStrategy(kind: "Sometimes", ttlMilliseconds: 1) == nil)
    }

    @Test(arguments: ["10m", "1h30m", "2h45m30.5s", "1.5s", "8784h"])
    func releaseAfterParsesBackToTheSameStrategy(text: String) throws {
        let strategy = try ReleaseStrategy(parsing: text)
        let releaseAfter = try #require(strategy.releaseAfter)
        #expect(try ReleaseStrategy(parsing: releaseAfter) == strategy)
    }
}
