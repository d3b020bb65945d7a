import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import ServiceLifecycle
import Testing

@testable import EIPBroker
@testable import EIPTestSupport

/// The protocols the server speaks on a real socket: HTTP/1.1 and h2c on one cleartext listener
/// (`.http1AndH2C()`), and h2 or HTTP/1.1 by ALPN over TLS (`.http2Upgrade(tlsConfiguration:)`).
///
/// Most tests run their own server with a tiny router on 127.0.0.1 and a free port, and talk to it
/// with curl or, for bytes no HTTP client sends, a raw TCP connection. The last ones make the
/// same calls to a real broker (``TestBroker``) over each protocol.
@Suite struct ProtocolTests {
    // MARK: Choosing the protocol from the first bytes

    @Test(
        arguments: [
            ("", nil),
            ("P", nil),
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r", nil),
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .http2),
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\u{12}\u{4}", .http2),
            ("GET /hello HTTP/1.1\r\n", .http1),
            ("PRI * HTTP/1.1\r\n\r\n", .http1),
            ("PRX", .http1),
        ] as [(String, HTTP1AndH2CChannel.DetectedProtocol?)]
    )
    func firstBytesChooseTheProtocol(firstBytes: String, expected: HTTP1AndH2CChannel.DetectedProtocol?) {
        #expect(HTTP1AndH2CChannel.detectProtocol(Array(firstBytes.utf8)) == expected)
    }

    // MARK: HTTP/1.1 and h2c on one cleartext listener

    @Test func plainCurlIsAnsweredWithHTTP1() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let response = try #require(try await Curl().run(server.url("/hello")).first)
            #expect(response.status == 200)
            #expect(response.httpVersion == "1.1")
            #expect(response.body == "hi")
        }
    }

    @Test func priorKnowledgeCurlIsAnsweredWithHTTP2() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let response = try #require(try await Curl(version: .http2PriorKnowledge).run(server.url("/hello")).first)
            #expect(response.status == 200)
            #expect(response.httpVersion == "2")
            #expect(response.body == "hi")
        }
    }

    // Only HTTP/1.1 connection reuse is tested with curl: curl 7.88.1 (Debian 12) fails the second request
    // on a reused prior-knowledge connection with "Error in the HTTP2 framing layer" (curl/curl#10634).
    @Test func http1KeepsTheConnectionAlive() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let responses = try await Curl(version: .http1_1).run(server.url("/hello"), server.url("/hello"))
            #expect(responses.map(\.status) == [200, 200])
            #expect(responses.map(\.httpVersion) == ["1.1", "1.1"])
            #expect(responses.map(\.body) == ["hi", "hi"])
            #expect(responses.map(\.newConnections) == [1, 0])
        }
    }

    @Test(arguments: [Curl.HTTPVersion.http1_1, .http2PriorKnowledge])
    func requestBodyArrivesIntact(version: Curl.HTTPVersion) async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let payload = String(repeating: "payload-", count: 2_000)
            let curl = Curl(version: version, method: "POST", headers: [("Content-Type", "text/plain")], body: payload)
            let response = try #require(try await curl.run(server.url("/echo")).first)
            #expect(response.status == 200)
            #expect(response.body == payload)
        }
    }

    @Test func upgradeToH2CIsIgnoredAndAnsweredWithHTTP1() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let response = try #require(try await Curl(version: .http2).run(server.url("/hello")).first)
            #expect(response.status == 200)
            #expect(response.httpVersion == "1.1")
            #expect(response.body == "hi")
        }
    }

    @Test(
        arguments: [
            (Array("XYZ\r\n\r\n".utf8), true),
            (Array("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".utf8), true),
            ([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03], true),
            (Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nthis is not an HTTP/2 frame".utf8), false),
        ] as [([UInt8], Bool)]
    )
    func garbageIsRejectedAndTheServerKeepsServing(firstBytes: [UInt8], rejectedByHTTP1: Bool) async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let reply = try await withDeadline(.seconds(10)) {
                try await RawConnection.exchange(port: server.port, sending: [firstBytes])
            }
            if rejectedByHTTP1 {
                #expect(reply.text.hasPrefix("HTTP/1.1 400 "))
            } else {
                // HTTP/2 answers with its SETTINGS frame (type 0x4), then closes with GOAWAY.
                #expect(reply.bytes.dropFirst(3).first == 0x4)
            }

            let http1 = try #require(try await Curl().run(server.url("/hello")).first)
            #expect(http1.status == 200)
            let http2 = try #require(try await Curl(version: .http2PriorKnowledge).run(server.url("/hello")).first)
            #expect(http2.status == 200)
            #expect(http2.httpVersion == "2")
        }
    }

    @Test func prefaceSplitAcrossWritesIsRecognised() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let preface = HTTP1AndH2CChannel.http2ConnectionPreface
            // The preface, then a GOAWAY frame so that the server closes the connection.
            let goAway: [UInt8] = [0, 0, 8, 0x7, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0]
            let reply = try await withDeadline(.seconds(10)) {
                try await RawConnection.exchange(
                    port: server.port,
                    sending: [Array(preface[..<3]), Array(preface[3..<20]), Array(preface[20...]) + goAway]
                )
            }
            // An HTTP/2 server speaks first with a SETTINGS frame: type 0x4 on stream 0.
            #expect(reply.bytes.count >= 9)
            #expect(reply.bytes.dropFirst(3).first == 0x4)
        }
    }

    @Test func silentConnectionIsClosedAfterTheIdleTimeout() async throws {
        let configuration = HTTP1AndH2CChannel.Configuration(streamConfiguration: .init(idleTimeout: .milliseconds(200)))
        try await withLiveServer(.http1AndH2C(configuration: configuration)) { server in
            let reply = try await withDeadline(.seconds(10)) {
                try await RawConnection.exchange(port: server.port, sending: [])
            }
            #expect(reply.bytes.isEmpty)
        }
    }

    @Test func theBrokerClosesSilentAndIdleKeepAliveConnectionsAfterItsIdleTimeout() async throws {
        try await TestBroker.with(.sqlite, configure: { $0.idleTimeout = .seconds(1) }) { broker in
            // Silent from the start, and silent after one complete request on a kept-alive connection.
            let silent = try await withDeadline(.seconds(30)) { try await RawConnection.exchange(port: broker.port, sending: []) }
            #expect(silent.bytes.isEmpty)
            let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
            let kept = try await withDeadline(.seconds(30)) { try await RawConnection.exchange(port: broker.port, sending: [request]) }
            #expect(kept.text.hasPrefix("HTTP/1.1 200"), "\(kept.text)")
            #expect(kept.text.hasSuffix("ok\n"), "\(kept.text)")
        }
    }

    @Test func aRequestWhoseHeadersOrBodyStallIsClosedAfterItsTimeout() async throws {
        try await TestBroker.with(
            .sqlite,
            configure: {
                $0.headerTimeout = .seconds(1)
                $0.bodyTimeout = .seconds(1)
            }
        ) { broker in
            // One complete request, then headers that never end: the first is answered, then the connection closes.
            let complete = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
            let stalledHead = try await withDeadline(.seconds(30)) {
                try await RawConnection.exchange(port: broker.port, sending: [complete, Array("GET /healthz HTTP/1.1\r\nHo".utf8)])
            }
            #expect(stalledHead.text.hasPrefix("HTTP/1.1 200"), "\(stalledHead.text)")
            #expect(stalledHead.text.components(separatedBy: "HTTP/1.1 ").count == 2, "\(stalledHead.text)")
            // A body that stops short of its Content-Length: closed without an answer.
            let stalledBody = try await withDeadline(.seconds(30)) {
                try await RawConnection.exchange(
                    port: broker.port,
                    sending: [
                        Array(
                            ("POST /v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(broker.adminToken)\r\n"
                                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\"").utf8)
                    ])
            }
            #expect(stalledBody.bytes.isEmpty, "\(stalledBody.text)")
            #expect(broker.logs.text.contains("request body not received within 1000 ms"))
            let healthz = try #require(try await Curl().run(broker.url + "/healthz").first)
            #expect(healthz.status == 200)
        }
    }

    @Test func aRefusedUploadIsAnsweredAndClosedWithoutReadingItsBody() async throws {
        try await TestBroker.with(.sqlite) { broker in
            // 1 MiB announced, a little sent, no token: 401 at once, and the connection closes
            // long before the 30 s body timeout.
            let head = "POST /v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
            let reply = try await withDeadline(.seconds(20)) {
                try await RawConnection.exchange(port: broker.port, sending: [Array(head.utf8), [UInt8](repeating: 0x20, count: 16384)])
            }
            #expect(reply.text.hasPrefix("HTTP/1.1 401"), "\(reply.text)")
            #expect(reply.text.lowercased().contains("connection: close"), "\(reply.text)")
        }
    }

    @Test func theNextRequestsBodyIsKeptWhenItArrivesBeforeThePreviousAnswerEnds() throws {
        // The client sends its next request as soon as it has the previous answer's bytes, so
        // the next head and body can pass the handler before the previous answer's end does.
        let channel = EmbeddedChannel()
        let registry = ConnectionRegistry(maximum: 10, logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(
            RequestDeadlineHandler(
                headerTimeout: .seconds(10), bodyTimeout: .seconds(10), registry: registry, logger: Logger(label: "test"))
        )
        let post = HTTPRequest(method: .post, scheme: nil, authority: "127.0.0.1", path: "/v1/pools", headerFields: [.contentLength: "2"])
        try channel.writeInbound(HTTPRequestPart.head(post))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeInbound(HTTPRequestPart.head(post))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{")))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "}")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        var bodies: [String] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .body(let bytes) = part { bodies.append(String(buffer: bytes)) }
        }
        #expect(bodies == ["{", "}"])
        _ = try channel.finish()
    }

    @Test func anOversizedBodyWithoutContentLengthIs413() async throws {
        try await TestBroker.with(.sqlite) { broker in
            var request = HTTPClientRequest(url: broker.url + "/v1/pools")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(broker.adminToken)")
            request.headers.add(name: "Content-Type", value: "application/json")
            // 2 MB in 64 KiB chunks with no length: sent chunked.
            let (chunks, sender) = AsyncStream<ByteBuffer>.makeStream()
            for _ in 0..<32 { sender.yield(ByteBuffer(repeating: UInt8(ascii: " "), count: 64 * 1024)) }
            sender.finish()
            request.body = .stream(chunks, length: .unknown)
            let response = try await broker.client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status.code == 413, "\(String(buffer: body))")
            #expect(response.headers["Content-Type"].first == "application/problem+json")
            #expect(String(buffer: body).contains("PayloadTooLarge"))
            #expect(!broker.logs.text.contains("request failed"))
        }
    }

    @Test func undecidedConnectionDoesNotHoldUpGracefulShutdown() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let reply = try await withDeadline(.seconds(10)) {
                try await RawConnection.exchange(port: server.port, sending: [Array("PRI * HTTP".utf8)]) {
                    await server.serviceGroup.triggerGracefulShutdown()
                }
            }
            #expect(reply.bytes.isEmpty)
        }
    }

    @Test func undecidedConnectionIsClosedWhenTheClientStopsSending() async throws {
        try await withLiveServer(.http1AndH2C()) { server in
            let reply = try await withDeadline(.seconds(10)) {
                try await RawConnection.exchange(port: server.port, sending: [Array("PRI * HTTP".utf8)], thenCloseOutput: true)
            }
            #expect(reply.bytes.isEmpty)
        }
    }

    // MARK: h2 and HTTP/1.1 over TLS, chosen by ALPN

    @Test(arguments: [
        (Curl.HTTPVersion.http2, false, "2"),
        (Curl.HTTPVersion.automatic, false, "2"),
        (Curl.HTTPVersion.http1_1, false, "1.1"),
        (Curl.HTTPVersion.automatic, true, "1.1"),
    ])
    func tlsChoosesTheVersionByALPN(offered: Curl.HTTPVersion, withoutALPN: Bool, expectedVersion: String) async throws {
        let tls = try TestCertificate.make().serverTLSConfiguration()
        try await withLiveServer(try .http2Upgrade(tlsConfiguration: tls)) { server in
            let curl = Curl(version: offered, insecure: true, disableALPN: withoutALPN)
            let response = try #require(try await curl.run(server.url("/hello", scheme: "https")).first)
            #expect(response.status == 200)
            #expect(response.httpVersion == expectedVersion)
            #expect(response.body == "hi")
        }
    }

    @Test func tlsCertificateIsValidFor127001() async throws {
        let certificate = try TestCertificate.make()
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem")
        try certificate.certificatePEM.write(to: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: caFile) }
        try await withLiveServer(try .http2Upgrade(tlsConfiguration: certificate.serverTLSConfiguration())) { server in
            let curl = Curl(version: .http2, caCertificatePath: caFile.path)
            let response = try #require(try await curl.run(server.url("/hello", scheme: "https")).first)
            #expect(response.exitCode == 0)
            #expect(response.status == 200)
            #expect(response.httpVersion == "2")
        }
    }

    // MARK: The broker itself over every protocol

    @Test(arguments: Backend.allCases, BrokerTransport.allCases)
    func brokerAnswersTheSameOverEveryProtocol(_ backend: Backend, transport: BrokerTransport) async throws {
        let certificate = try TestCertificate.make()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificateFile = folder.appendingPathComponent("cert.pem")
        let keyFile = folder.appendingPathComponent("key.pem")
        try certificate.certificatePEM.write(to: certificateFile, atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(to: keyFile, atomically: true, encoding: .utf8)

        try await TestBroker.with(
            backend,
            configure: { configuration in
                if transport.usesTLS {
                    configuration.tlsCertificatePath = certificateFile.path
                    configuration.tlsKeyPath = keyFile.path
                }
            }
        ) { broker in
            #expect(broker.url.hasPrefix(transport.usesTLS ? "https://" : "http://"))
            let admin = broker.adminToken
            func call(_ method: String, _ path: String, token: String? = admin, json: String? = nil) async throws -> CurlResponse {
                var curl = transport.curl
                curl.method = method
                if let token { curl.headers.append(("Authorization", "Bearer \(token)")) }
                if let json {
                    curl.headers.append(("Content-Type", "application/json"))
                    curl.body = json
                }
                let response = try #require(try await curl.run(broker.url + path).first)
                #expect(response.exitCode == 0, "\(method) \(path) over \(transport)")
                #expect(response.httpVersion == transport.expectedVersion, "\(method) \(path) over \(transport)")
                return response
            }
            func object(_ response: CurlResponse) -> [String: Any] {
                (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:]
            }

            let cluster = try await call("POST", "/v1/clusters", json: #"{"name":"alpha","quota":5}"#)
            #expect(cluster.status == 201, "\(cluster.body)")
            let created = try await call("POST", "/v1/pools", json: #"{"name":"default","maxSize":5}"#)
            #expect(created.status == 201, "\(created.body)")

            let pools = try await call("GET", "/v1/pools")
            #expect(pools.status == 200)
            #expect(pools.headers["content-type"]?.first?.hasPrefix("application/json") == true)
            let items = object(pools)["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["name"] as? String } == ["default"], "\(pools.body)")

            let lease = try await call(
                "POST", "/v1/leases",
                json: #"{"cluster":"alpha","namespace":"default","pod":"web-0","podUid":"uid-web-0","pool":"default"}"#
            )
            #expect(lease.status == 201, "\(lease.body)")
            let leaseObject = object(lease)
            #expect(leaseObject["cluster"] as? String == "alpha")
            #expect(leaseObject["pod"] as? String == "web-0")
            #expect(leaseObject["pool"] as? String == "default")
            #expect(leaseObject["allocationType"] as? String == "Auto")
            let id = try #require(leaseObject["id"] as? String)

            let fetched = try await call("GET", "/v1/leases/\(id)")
            #expect(fetched.status == 200)
            #expect(object(fetched)["id"] as? String == id)

            // Errors are problem documents on every protocol too.
            let unauthenticated = try await call("GET", "/v1/pools", token: nil)
            #expect(unauthenticated.status == 401)
            #expect(unauthenticated.headers["content-type"]?.first == "application/problem+json")
            #expect(object(unauthenticated)["code"] as? String == "Unauthenticated")
        }
    }
}

/// How a test reaches a real broker: cleartext HTTP/1.1 or h2c on the plain listener, h2 or
/// HTTP/1.1 by ALPN over TLS.
enum BrokerTransport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case http1
    case h2c
    case h2OverTLS
    case http1OverTLS

    var testDescription: String { rawValue }

    var usesTLS: Bool { self == .h2OverTLS || self == .http1OverTLS }

    /// The HTTP version curl must report.
    var expectedVersion: String {
        switch self {
        case .http1, .http1OverTLS: "1.1"
        case .h2c, .h2OverTLS: "2"
        }
    }

    /// curl offering this protocol: its default, `--http2-prior-knowledge`, `-k --http2`, `-k --http1.1`.
    var curl: Curl {
        switch self {
        case .http1: Curl()
        case .h2c: Curl(version: .http2PriorKnowledge)
        case .h2OverTLS: Curl(version: .http2, insecure: true)
        case .http1OverTLS: Curl(version: .http1_1, insecure: true)
        }
    }
}

// MARK: - Live server

/// A server started by ``withLiveServer(_:_:)``.
private struct LiveServer: Sendable {
    /// The port the server listens on, on 127.0.0.1.
    let port: Int
    /// The group running the application; trigger its graceful shutdown to stop the server early.
    let serviceGroup: ServiceGroup

    func url(_ path: String, scheme: String = "http") -> String {
        "\(scheme)://127.0.0.1:\(self.port)\(path)"
    }
}

private struct LiveServerError: Error, CustomStringConvertible {
    let description: String
}

/// Routes of the tiny test application: `GET /hello` answers "hi", `POST /echo` answers its body.
private func makeTestRouter() -> Router<BasicRequestContext> {
    let router = Router()
    router.get("hello") { _, _ in "hi" }
    router.post("echo") { request, _ -> String in
        String(buffer: try await request.body.collect(upTo: 1 << 20))
    }
    return router
}

/// Runs `body` against a live application serving ``makeTestRouter()`` with `server` on 127.0.0.1 and a
/// free port, then shuts the application down gracefully and fails if that takes longer than 10 seconds.
private func withLiveServer(
    _ server: HTTPServerBuilder,
    _ body: @Sendable (LiveServer) async throws -> Void
) async throws {
    var logger = Logger(label: "ProtocolTests")
    logger.logLevel = .warning
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: makeTestRouter(),
        server: server,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            if let port = channel.localAddress?.port {
                portContinuation.yield(port)
            }
            portContinuation.finish()
        },
        logger: logger
    )
    let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))

    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else {
            try await group.waitForAll()
            throw LiveServerError(description: "the server stopped before it listened")
        }

        let outcome: Result<Void, any Error>
        do {
            try await body(LiveServer(port: port, serviceGroup: serviceGroup))
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }

        await serviceGroup.triggerGracefulShutdown()
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            throw LiveServerError(description: "graceful shutdown took longer than 10 seconds")
        }
        try await group.next()
        group.cancelAll()
        try outcome.get()
    }
}

// MARK: - Raw TCP

/// A TCP client for bytes that no HTTP client would send.
private enum RawConnection {
    /// What the server sent before it closed the connection.
    struct Reply: Sendable {
        let bytes: [UInt8]
        var text: String { String(decoding: self.bytes, as: UTF8.self) }
    }

    /// Connects to 127.0.0.1, writes each chunk with its own flush, runs `whileOpen`, and reads until
    /// the server closes the connection (a reset counts as closing).
    /// - Parameters:
    ///   - port: Server port.
    ///   - chunks: Bytes to write, one write per element.
    ///   - thenCloseOutput: Whether to half-close the connection (send FIN) after the chunks.
    ///   - whileOpen: Work to do once the chunks are written, before reading.
    /// - Returns: Every byte the server sent.
    static func exchange(
        port: Int,
        sending chunks: [[UInt8]],
        thenCloseOutput: Bool = false,
        whileOpen: @Sendable () async throws -> Void = {}
    ) async throws -> Reply {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for chunk in chunks {
                try await outbound.write(ByteBuffer(bytes: chunk))
            }
            if thenCloseOutput {
                outbound.finish()
            }
            try await whileOpen()
            var received: [UInt8] = []
            do {
                for try await buffer in inbound {
                    received += buffer.readableBytesView
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // The server closed with unread bytes pending, so the kernel sent a reset.
            }
            return Reply(bytes: received)
        }
    }
}

// MARK: - Deadlines

private struct DeadlineExceeded: Error, CustomStringConvertible {
    let deadline: Duration
    var description: String { "no result within \(self.deadline)" }
}

/// Runs `operation`, failing with ``DeadlineExceeded`` if it has not finished within `deadline`.
private func withDeadline<T: Sendable>(
    _ deadline: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: deadline)
            throw DeadlineExceeded(deadline: deadline)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
