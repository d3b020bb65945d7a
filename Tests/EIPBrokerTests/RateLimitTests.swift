import Foundation
import NIOHTTP1
import Testing

@testable import EIPBroker
@testable import EIPTestSupport

/// Per-token and per-source rate limits over a real socket: one cluster looping on the API is
/// answered `429 RateLimited` with `Retry-After`, while another cluster's bucket is untouched.
@Suite("Rate limits")
struct RateLimitTests {
    @Test func oneClusterOverItsRateIsRefusedWhileAnotherIsServed() async throws {
        try await TestBroker.with(
            .sqlite,
            configure: {
                // One request a minute after a burst of 5: however slow the machine, 12 calls at once
                // cannot all be served. (Each refusal is held up to a second; the calls beyond the
                // client's 8 connections wait for one, within TestBroker's load-tolerant bound.)
                $0.tokenRate = RequestRate(perSecond: 1.0 / 60, burst: 5)
            }
        ) { broker in
            let kit = LeaseTestKit(broker)
            let greedy = try await kit.cluster("greedy", quota: 5)
            let polite = try await kit.cluster("polite", quota: 5)
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<12 { group.addTask { try await broker.call(.GET, "/v1/leases", token: greedy) } }
                var answers: [TestResponse] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            let refused = answers.filter { $0.status == 429 }
            #expect(!refused.isEmpty, "no 429 among \(answers.map(\.status))")
            #expect(answers.allSatisfy { $0.status == 200 || $0.status == 429 })
            for answer in refused.prefix(3) {
                #expect(answer["code"] == "RateLimited")
                #expect(answer.headers["Content-Type"].first == "application/problem+json")
                #expect((Int(answer.headers["Retry-After"].first ?? "") ?? 0) >= 1, "\(answer.headers)")
                #expect(answer["detail"]?.contains("cluster 'greedy'") == true, "\(answer.text)")
            }
            // The other cluster has its own bucket.
            for _ in 0..<3 {
                #expect(try await broker.call(.GET, "/v1/leases", token: polite).status == 200)
            }
        }
    }

    @Test func guessingTokensIsLimitedBySourceAddress() async throws {
        try await TestBroker.with(.sqlite, configure: { $0.unauthenticatedRate = RequestRate(perSecond: 1.0 / 60, burst: 3) }) { broker in
            var statuses: [Int] = []
            for index in 0..<3 {
                statuses.append(try await broker.call(.GET, "/v1/pools", token: "eipb_guess-\(index)").status)
            }
            #expect(statuses == [401, 401, 401])
            // Refusals are held (up to a second each), so the rest go at once.
            statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 3..<20 { group.addTask { try await broker.call(.GET, "/v1/pools", token: "eipb_guess-\(index)").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 429 }.count >= 15, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 })
            // A caller with a valid token is limited by its token, not by the address.
            #expect(try await broker.call(.GET, "/v1/pools", token: broker.adminToken).status == 200)
        }
    }

    /// Refusals are answered at the caller's own rate, each held after the one before it (at
    /// most a second), without putting the bucket in debt.
    @Test func refusalsArePacedAtTheCallersRate() {
        let limiter = RequestRateLimiter(rate: RequestRate(perSecond: 10, burst: 2))
        let start = ContinuousClock.now
        #expect(limiter.decide("alpha", at: start) == .admitted)
        #expect(limiter.decide("alpha", at: start) == .admitted)
        let holds = (0..<12).map { _ in limiter.decide("alpha", at: start) }
        #expect(
            holds.prefix(3) == [
                .refused(hold: .milliseconds(100), retryAfter: 1), .refused(hold: .milliseconds(200), retryAfter: 1),
                .refused(hold: .milliseconds(300), retryAfter: 1),
            ])
        #expect(holds.suffix(2) == [.refused(hold: .seconds(1), retryAfter: 1), .refused(hold: .seconds(1), retryAfter: 1)])
        // Another caller has its own bucket and its own pace.
        #expect(limiter.decide("beta", at: start) == .admitted)
        // A tenth of a second refills one request, however many were refused.
        #expect(limiter.decide("alpha", at: start + .milliseconds(100)) == .admitted)
        #expect(limiter.decide("alpha", at: start + .milliseconds(100)) == .refused(hold: .seconds(1), retryAfter: 1))
        // Once the held refusals are gone, the pace starts again from the rate.
        #expect(limiter.decide("alpha", at: start + .seconds(5)) == .admitted)
        #expect(limiter.decide("alpha", at: start + .seconds(5)) == .admitted)
        #expect(limiter.decide("alpha", at: start + .seconds(5)) == .refused(hold: .milliseconds(100), retryAfter: 1))
    }

    @Test(arguments: [
        ("50/s", RequestRate(perSecond: 50, burst: 100)), ("2.5/s,burst=7", RequestRate(perSecond: 2.5, burst: 7)),
        ("0.1/s", RequestRate(perSecond: 0.1, burst: 1)), ("off", RequestRate(perSecond: 0, burst: 0)),
        ("0", RequestRate(perSecond: 0, burst: 0)),
    ])
    func ratesParse(_ text: String, _ rate: RequestRate) {
        #expect(RequestRate(parsing: text) == rate)
    }

    @Test(arguments: ["fast", "0/s", "-1/s", "5/m", "5/s,burst=0", "5/s,burst=x", "5/s,burst=2,extra", "nan/s", ""])
    func badRatesAreRefused(_ text: String) {
        #expect(RequestRate(parsing: text) == nil)
    }
}
