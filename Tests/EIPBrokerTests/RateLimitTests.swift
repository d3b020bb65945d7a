import EIPBroker
import Foundation
import NIOHTTP1
import Testing

/// Per-token and per-source rate limits over a real socket: one cluster looping on the API is
/// answered `429 RateLimited` with `Retry-After`, while another cluster's bucket is untouched.
@Suite("Rate limits")
struct RateLimitTests {
    @Test func oneClusterOverItsRateIsRefusedWhileAnotherIsServed() async throws {
        try await TestBroker.with(.sqlite, configure: {
            // One request a minute after a burst of 5: however slow the machine, 40 calls at once
            // cannot all be served.
            $0.tokenRate = RequestRate(perSecond: 1.0 / 60, burst: 5)
        }) { broker in
            let kit = LeaseTestKit(broker)
            let greedy = try await kit.cluster("greedy", quota: 5)
            let polite = try await kit.cluster("polite", quota: 5)
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<40 { group.addTask { try await broker.call(.GET, "/v1/leases", token: greedy) } }
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
            for index in 0..<20 {
                statuses.append(try await broker.call(.GET, "/v1/pools", token: "eipb_guess-\(index)").status)
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count >= 15, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 })
            // A caller with a valid token is limited by its token, not by the address.
            #expect(try await broker.call(.GET, "/v1/pools", token: broker.adminToken).status == 200)
        }
    }

    @Test(arguments: [
        ("50/s", RequestRate(perSecond: 50, burst: 100)), ("2.5/s,burst=7", RequestRate(perSecond: 2.5, burst: 7)),
        ("0.1/s", RequestRate(perSecond: 0.1, burst: 1)), ("off", RequestRate(perSecond: 0, burst: 0)), ("0", RequestRate(perSecond: 0, burst: 0)),
    ])
    func ratesParse(_ text: String, _ rate: RequestRate) {
        #expect(RequestRate(parsing: text) == rate)
    }

    @Test(arguments: ["fast", "0/s", "-1/s", "5/m", "5/s,burst=0", "5/s,burst=x", "5/s,burst=2,extra", "nan/s", ""])
    func badRatesAreRefused(_ text: String) {
        #expect(RequestRate(parsing: text) == nil)
    }
}
