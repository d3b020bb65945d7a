import Foundation
import Testing

/// The `eip-broker` executable this test run built, started as its own process on a fresh SQLite
/// file and a free loopback port, optionally under an open-file limit (`prlimit`).
///
/// For tests about the process itself: that it survives, how many descriptors and how much memory
/// it uses. Its stdout and stderr go to files in its own directory, deleted afterwards.
final class BrokerProcess: @unchecked Sendable {
    let url: String
    let port: Int
    let adminToken: String
    let pid: Int32
    private let process: Process
    private let directory: URL

    private init(url: String, port: Int, adminToken: String, process: Process, directory: URL) {
        self.url = url
        self.port = port
        self.adminToken = adminToken
        self.pid = process.processIdentifier
        self.process = process
        self.directory = directory
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts the broker, runs `body`, then stops it with SIGTERM.
    /// - Parameters:
    ///   - openFileLimit: Soft and hard `RLIMIT_NOFILE` for the process, or `nil` for the inherited one.
    ///   - arguments: More `serve` options.
    static func with<Result: Sendable>(
        openFileLimit: Int? = nil, arguments: [String] = [], _ body: (BrokerProcess) async throws -> Result
    ) async throws -> Result {
        let broker = try await Self.start(openFileLimit: openFileLimit, arguments: arguments)
        do {
            let result = try await body(broker)
            try await broker.stop()
            return result
        } catch {
            try? await broker.stop()
            throw error
        }
    }

    private static func start(openFileLimit: Int?, arguments: [String]) async throws -> BrokerProcess {
        guard let builtProducts = Bundle.main.executableURL?.deletingLastPathComponent() else {
            throw Failure(description: "cannot tell where this test run's products are")
        }
        let executable = builtProducts.appendingPathComponent("eip-broker")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw Failure(description: "no eip-broker executable at \(executable.path): build the package first")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eip-broker-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stdout = directory.appendingPathComponent("stdout")
        let stderr = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)

        let adminToken = "admin-" + UUID().uuidString
        let serve =
            [
                executable.path, "serve", "--port", "0", "--database-url", directory.appendingPathComponent("books.sqlite").path,
                "--seed-demo", "false", "--admin-token", adminToken,
            ] + arguments
        let process = Process()
        if let openFileLimit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(openFileLimit):\(openFileLimit)"] + serve
        } else {
            process.executableURL = executable
            process.arguments = Array(serve.dropFirst())
        }
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // The banner's first line names the address: "eip-broker listening on http://127.0.0.1:PORT (...)".
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(120) {
            let banner = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let line = banner.split(separator: "\n").first(where: { $0.hasPrefix("eip-broker listening on ") }),
                let url = line.split(separator: " ").dropFirst(3).first,
                let port = url.split(separator: ":").last.flatMap({ Int($0) })
            {
                return BrokerProcess(url: String(url), port: port, adminToken: adminToken, process: process, directory: directory)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
        throw Failure(description: "eip-broker did not start listening; its log:\n\(log.suffix(4000))")
    }

    /// Whether the process is still running.
    var isRunning: Bool { self.process.isRunning }

    /// The process's resident memory in bytes (`VmRSS`).
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(self.pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else {
            throw Failure(description: "no VmRSS in /proc/\(self.pid)/status")
        }
        return kilobytes * 1024
    }

    /// How many file descriptors the process has open.
    func openDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(self.pid)/fd").count
    }

    /// What the broker logged so far.
    var log: String {
        (try? String(contentsOf: self.directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
    }

    /// Sends SIGTERM and waits for the process to exit.
    /// - Throws: ``Failure`` when it exits with a status other than 0 or does not exit within 60 s.
    func stop() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        if self.process.isRunning { self.process.terminate() }
        let asked = ContinuousClock.now
        while self.process.isRunning {
            guard ContinuousClock.now - asked < .seconds(60) else {
                kill(self.pid, SIGKILL)
                throw Failure(description: "eip-broker did not exit within 60 s of SIGTERM")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard self.process.terminationReason == .exit, self.process.terminationStatus == 0 else {
            throw Failure(
                description:
                    "eip-broker ended with \(self.process.terminationReason == .exit ? "status" : "signal") \(self.process.terminationStatus); its log:\n\(self.log.suffix(4000))"
            )
        }
    }
}
