import Foundation

/// One HTTP exchange as `curl` reported it.
struct CurlResponse: Sendable {
    /// HTTP status code; 0 when no response arrived.
    let status: Int
    /// HTTP version curl spoke: `"1.1"`, `"2"`; `"0"` when no response arrived.
    let httpVersion: String
    /// Response header fields, names lower-cased, each with its values in arrival order.
    let headers: [String: [String]]
    /// Response body decoded as UTF-8.
    let body: String
    /// Connections curl opened for this exchange: 0 when it reused an earlier one.
    let newConnections: Int
    /// curl's exit code for this exchange; 0 on success.
    let exitCode: Int
}

/// Runs `/usr/bin/curl` as a real HTTP client, one invocation per call to ``run(_:)``.
///
/// Supports the method, request headers and body, `--http1.1`, `--http2`, `--http2-prior-knowledge`,
/// `-k`, `--no-alpn` and `--cacert`.
///
/// ```swift
/// let responses = try await Curl(version: .http2PriorKnowledge).run("http://127.0.0.1:\(port)/hello")
/// #expect(responses[0].httpVersion == "2")
/// ```
struct Curl: Sendable {
    /// Which HTTP version curl offers.
    enum HTTPVersion: Sendable {
        /// curl's default: HTTP/1.1 over cleartext, h2 or HTTP/1.1 by ALPN over TLS.
        case automatic
        /// `--http1.1`: only HTTP/1.1, also in ALPN.
        case http1_1
        /// `--http2`: h2 by ALPN over TLS; over cleartext an HTTP/1.1 request with `Upgrade: h2c`.
        case http2
        /// `--http2-prior-knowledge`: HTTP/2 from the first byte over cleartext.
        case http2PriorKnowledge
    }

    /// Errors from running curl itself (not HTTP failures, which are in ``CurlResponse``).
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    var version: HTTPVersion = .automatic
    /// `-k`: accept any server certificate.
    var insecure = false
    /// `--no-alpn`: offer no ALPN protocol in the TLS handshake.
    var disableALPN = false
    /// `--cacert`: trust only the certificates in this PEM file.
    var caCertificatePath: String?
    var method = "GET"
    var headers: [(name: String, value: String)] = []
    var body: String?
    /// `--max-time` for the whole invocation: a bound on a hung server, not a speed check, so
    /// generous enough for a call made while the whole suite loads both cores.
    var maxTimeSeconds = 90

    /// Requests every URL in order within one curl invocation, so curl reuses connections where it can.
    /// - Parameter urls: The URLs to request.
    /// - Returns: One response per URL, in order.
    func run(_ urls: String...) async throws -> [CurlResponse] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let bodyFiles = urls.indices.map { directory.appendingPathComponent("body-\($0)") }
        var arguments = ["-sS", "--max-time", String(self.maxTimeSeconds), "-X", self.method]
        arguments += self.versionArguments
        if self.insecure { arguments.append("-k") }
        if self.disableALPN { arguments.append("--no-alpn") }
        if let caCertificatePath = self.caCertificatePath { arguments += ["--cacert", caCertificatePath] }
        for header in self.headers { arguments += ["-H", "\(header.name): \(header.value)"] }
        if let body = self.body { arguments += ["--data-binary", body] }
        arguments += ["-w", "%{header_json}\n\(Self.separator)\n%{json}\n\(Self.separator)\n"]
        for (url, bodyFile) in zip(urls, bodyFiles) {
            arguments += ["-o", bodyFile.path, url]
        }

        let stdoutFile = directory.appendingPathComponent("stdout")
        let stderrFile = directory.appendingPathComponent("stderr")
        try await Self.runCurl(arguments: arguments, stdout: stdoutFile, stderr: stderrFile)

        let writeOut = try String(contentsOf: stdoutFile, encoding: .utf8)
        var sections = writeOut.components(separatedBy: "\n\(Self.separator)\n")
        if sections.last == "" { sections.removeLast() }
        guard sections.count == 2 * urls.count else {
            let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
            throw Failure(description: "curl wrote \(sections.count) write-out sections for \(urls.count) URLs; stderr: \(stderr)")
        }
        return try urls.indices.map { index in
            try Self.response(
                headerJSON: sections[2 * index],
                transferJSON: sections[2 * index + 1],
                bodyFile: bodyFiles[index]
            )
        }
    }

    private static let separator = "--curl-write-out--"

    private var versionArguments: [String] {
        switch self.version {
        case .automatic: []
        case .http1_1: ["--http1.1"]
        case .http2: ["--http2"]
        case .http2PriorKnowledge: ["--http2-prior-knowledge"]
        }
    }

    /// Starts curl and waits for it without blocking a thread of the cooperative pool,
    /// which the server under test also runs on.
    private static func runCurl(arguments: [String], stdout: URL, stderr: URL) async throws {
        for file in [stdout, stderr] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
            throw Failure(description: "cannot create \(file.path)")
        }
        let stdoutHandle = try FileHandle(forWritingTo: stdout)
        let stderrHandle = try FileHandle(forWritingTo: stderr)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    private static func response(headerJSON: String, transferJSON: String, bodyFile: URL) throws -> CurlResponse {
        let headers = (try? JSONSerialization.jsonObject(with: Data(headerJSON.utf8))) as? [String: [String]] ?? [:]
        guard let transfer = try JSONSerialization.jsonObject(with: Data(transferJSON.utf8)) as? [String: Any] else {
            throw Failure(description: "curl's %{json} is not an object: \(transferJSON)")
        }
        let body = (try? Data(contentsOf: bodyFile)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return CurlResponse(
            status: transfer["http_code"] as? Int ?? 0,
            httpVersion: transfer["http_version"] as? String ?? "0",
            headers: headers,
            body: body,
            newConnections: transfer["num_connects"] as? Int ?? 0,
            exitCode: transfer["exitcode"] as? Int ?? -1
        )
    }
}
