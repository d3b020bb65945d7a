import Foundation
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// `api/openapi.yaml` says what the server does: schemathesis (`--checks all`) generates requests
/// from the document and checks every answer against it, as an admin and as a cluster token, on
/// both backends. The broker may refuse only what the document rules out (400), or a request that
/// fits it but not the caller or the books (422, see `Tests/schemathesis/schemathesis.toml`).
///
/// `scripts/test` installs schemathesis into a venv and names it in `EIPBROKER_TEST_SCHEMATHESIS`.
@Suite struct ContractTests {
    /// Fixed, so a failure found in CI replays on a laptop.
    static let seed = "1"
    static let examplesPerOperation = "15"

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    enum Caller: String, CaseIterable, CustomTestStringConvertible {
        case admin
        case cluster
        var testDescription: String { rawValue }
    }

    @Test(arguments: Backend.allCases, Caller.allCases)
    func theServerAnswersAsTheDocumentSays(_ backend: Backend, _ caller: Caller) async throws {
        guard let schemathesis = ProcessInfo.processInfo.environment["EIPBROKER_TEST_SCHEMATHESIS"], !schemathesis.isEmpty else {
            Issue.record("EIPBROKER_TEST_SCHEMATHESIS is not set: run the suite with scripts/test, which installs schemathesis")
            return
        }
        try await TestBroker.with(backend) { broker in
            // Something to find: a cluster with a token, a pool it may use and a lease in it.
            let cluster = try await broker.call(.POST, "/v1/clusters", token: broker.adminToken, json: #"{"name":"prod-hz-1","quota":500}"#)
            #expect(cluster.status == 201, "\(cluster.text)")
            let pool = try await broker.call(
                .POST, "/v1/pools", token: broker.adminToken, json: #"{"name":"default","maxSize":20,"warm":{"min":1,"max":2}}"#)
            #expect(pool.status == 201, "\(pool.text)")
            let minted = try await broker.call(.POST, "/v1/clusters/prod-hz-1/tokens", token: broker.adminToken)
            let clusterToken = try #require(minted["token"])
            let lease = try await broker.call(
                .POST, "/v1/leases?wait=10", token: clusterToken,
                json: #"{"namespace":"default","pod":"web-0","podUid":"5f1c0e4e","pool":"default"}"#
            )
            #expect(lease.status == 201, "\(lease.text)")

            let token = caller == .admin ? broker.adminToken : clusterToken
            let run = try await Self.schemathesis(schemathesis, url: broker.url, token: token)
            let summary = run.output.split(separator: "\n").last { $0.contains(" generated") }.map(String.init) ?? "no summary"
            print("ContractTests \(backend.rawValue) \(caller.rawValue): \(summary.trimmingCharacters(in: .whitespaces))")
            #expect(run.status == 0, "schemathesis found failures:\n\(run.output.suffix(20_000))")
            #expect(!run.output.contains(token))
        }
    }

    /// Runs `st run` against the broker and returns its exit status and output.
    static func schemathesis(_ executable: String, url: String, token: String) async throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["SCHEMATHESIS_HOOKS"] = "hooks"
        environment["PYTHONPATH"] = repository.appendingPathComponent("Tests/schemathesis").path
        return try await ChildProcess.run(
            executable,
            [
                "--config-file", repository.appendingPathComponent("Tests/schemathesis/schemathesis.toml").path,
                "run", repository.appendingPathComponent("api/openapi.yaml").path,
                "--url", url, "--header", "Authorization: Bearer \(token)",
                "--checks", "all", "--max-examples", examplesPerOperation, "--seed", seed, "--workers", "1",
                "--request-timeout", "60", "--no-color",
            ],
            environment: environment
        )
    }
}
