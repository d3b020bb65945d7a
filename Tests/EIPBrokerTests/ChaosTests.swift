import Foundation
import Testing

@testable import EIPTestSupport

/// A short run of `scripts/chaos` (the full-size run is for people): two replicas of this test
/// run's `eip-broker` on a PostgreSQL of their own, the Alibaba provider against this run's
/// `eip-cloud-emulator` with throttling, failures and dropped answers, a few hundred lease
/// lifecycles, one replica killed with SIGKILL and one PostgreSQL restart. Every check of the
/// script (no address held twice, no EIP lost or leaked, no limit overrun, no stuck lease or key,
/// no 5xx but 503 while the database was down, no deadlock) must find nothing.
@Suite struct ChaosTests {
    @Test func aShortChaosRunFindsNoViolation() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let products = try #require(
            Bundle.main.executableURL?.deletingLastPathComponent(), "cannot tell where this test run's products are")
        for program in ["eip-broker", "eip-cloud-emulator"] {
            try #require(
                FileManager.default.isExecutableFile(atPath: products.appendingPathComponent(program).path),
                "no \(program) in \(products.path)")
        }
        let run = try await ChildProcess.run(
            repository.appendingPathComponent("scripts/chaos").path,
            ["--bin", products.path, "--lifecycles", "240", "--kills", "1", "--pg-restarts", "1", "--workers", "12"]
        )
        let report = run.output.split(separator: "\n").drop { !$0.hasPrefix("figures:") }.joined(separator: "\n")
        print("ChaosTests:\n\(report)")
        #expect(run.status == 0, "scripts/chaos failed:\n\(run.output.suffix(20_000))")
        #expect(run.output.contains("total violations: 0"))
    }
}
