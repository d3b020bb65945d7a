import EIPSQL
import Foundation
import Testing

/// A PostgreSQL server of one test's own, on a free loopback port, that the test may stop and
/// start again (the shared server of `scripts/test` must stay up for the others). Made with the
/// binaries `scripts/test` installed, run as `postgres` when the tests run as root (initdb
/// refuses root), with fsync off; ``destroy()`` stops it and deletes its files.
final class PrivatePostgres: Sendable {
    let directory: URL
    let port: Int
    private let binaries: URL

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The server's `postgres` database (the broker's books go there).
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    private init(directory: URL, port: Int, binaries: URL) {
        self.directory = directory
        self.port = port
        self.binaries = binaries
    }

    /// Makes a new cluster and starts it.
    static func start() async throws -> PrivatePostgres {
        let installed = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = installed.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last else {
            throw Failure(description: "no PostgreSQL under /usr/lib/postgresql: run the tests with scripts/test, which installs it")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eipbroker-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = PrivatePostgres(
            directory: directory, port: try freePort(), binaries: URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin"))
        if getuid() == 0 {
            try await server.shell("chown postgres:postgres '\(directory.path)' && chmod 700 '\(directory.path)'", asPostgres: false)
        }
        try await server.shell(
            "'\(server.binaries.path)/initdb' -D '\(directory.path)/data' --auth=trust --username=postgres --encoding=UTF8 --locale=C --no-sync"
        )
        try await server.startServer()
        return server
    }

    /// Starts the server (again) and waits until it accepts connections.
    func startServer() async throws {
        let options =
            "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try await shell(
            "'\(binaries.path)/pg_ctl' -D '\(directory.path)/data' -l '\(directory.path)/server.log' -w -t 60 -o '\(options)' start")
    }

    /// Stops the server as an operator's restart does (`-m fast`: sessions are ended, in-flight
    /// transactions rolled back).
    func stopServer() async throws {
        try await shell("'\(binaries.path)/pg_ctl' -D '\(directory.path)/data' -m fast -w -t 60 stop")
    }

    /// Stops the server if it runs and deletes its files.
    func destroy() async {
        try? await shell("'\(binaries.path)/pg_ctl' -D '\(directory.path)/data' -m immediate -w -t 30 stop || true")
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `command` with `sh`, as `postgres` when we are root, and waits for it.
    ///
    /// The command's output goes to a file and its exit status to another, which is what is
    /// waited for: `pg_ctl start` leaves the server running with the command's descriptors, so
    /// neither end-of-output nor the process's exit tell when the command is done.
    private func shell(_ command: String, asPostgres: Bool = true) async throws {
        let id = UUID().uuidString.prefix(8)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("eipbroker-pg-\(id).out")
        let status = FileManager.default.temporaryDirectory.appendingPathComponent("eipbroker-pg-\(id).status")
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: status)
        }
        let run = asPostgres && getuid() == 0 ? "runuser -u postgres -- sh -c \(Self.quoted(command))" : command
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "(\(run)) </dev/null >'\(output.path)' 2>&1; echo $? >'\(status.path).tmp'; mv '\(status.path).tmp' '\(status.path)'",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(120))
        while !FileManager.default.fileExists(atPath: status.path) {
            guard clock.now < deadline else { throw Failure(description: "'\(command)' did not finish within 120 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let code = (try? String(contentsOf: status, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard code == "0" else {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw Failure(description: "'\(command)' exited \(code ?? "?"): \(text)\nserver log:\n\(log.suffix(2000))")
        }
    }

    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
