import AsyncHTTPClient
import EIPCore
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// A small client of the Kubernetes REST API on async-http-client: typed JSON objects, list
/// with paging, watch as an `AsyncSequence`, merge and strategic merge patches, and the errors
/// of the API server's `Status` answers.
///
/// HTTP/2 is negotiated by ALPN over TLS (so all watches share one connection), HTTP/1.1
/// otherwise. Redirects are not followed, so the bearer token never goes to another host; the
/// token never reaches a log line or an error either.
///
/// ```swift
/// let client = try KubernetesClient(configuration: .inCluster(), logger: logger)
/// let pods = try await client.listAll(Pod.self, options: ListOptions(fieldSelector: "spec.nodeName=node-1"))
/// try await client.shutdown()
/// ```
///
/// As a `Service`, it waits for graceful shutdown and then shuts its HTTP client down; add it to
/// the service group before the services that use it.
public final class KubernetesClient: Service, Sendable {
    public let configuration: KubernetesConfiguration
    public let options: KubernetesClientOptions
    let logger: Logger
    let httpClient: HTTPClient
    let tokens: BearerTokenSource
    private let baseURL: String

    /// A client of the API server of `configuration`, with its own connection pool.
    /// - Throws: ``KubernetesConfigurationError`` when a certificate or key is not valid PEM.
    public init(configuration: KubernetesConfiguration, options: KubernetesClientOptions = KubernetesClientOptions(), logger: Logger) throws
    {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        self.tokens = BearerTokenSource(configuration.credentials)
        var base = configuration.server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        let tls = configuration.server.scheme?.lowercased() == "https" ? try configuration.tls.makeTLSConfiguration() : nil
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(
                connect: .nanoseconds(options.connectTimeout.wholeNanoseconds),
                read: .seconds(Int64(options.watchTimeoutSeconds.upperBound + 30))
            )
        )
        httpConfiguration.httpVersion = .automatic
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    /// Closes the connections. Watches still open end with an error.
    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    /// Waits for graceful shutdown (or cancellation), then shuts down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    // MARK: Requests

    /// A fully read answer.
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer

        var isSuccess: Bool { (200..<300).contains(status) }
    }

    /// Sends one request and reads its whole answer; after a `401` with a token file that has
    /// changed on disk, sends it once more with the new token.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String? = nil
    ) async throws -> Reply {
        var attempt = 0
        while true {
            attempt += 1
            let request = try makeRequest(method, path, query: query, body: body, contentType: contentType)
            let started = ContinuousClock.now
            let response = try await httpClient.execute(request, deadline: .now() + .nanoseconds(options.requestTimeout.wholeNanoseconds))
            let buffer = try await response.body.collect(upTo: options.maximumResponseBytes)
            let status = Int(response.status.code)
            logger.trace(
                "kubernetes request",
                metadata: [
                    "method": "\(method.rawValue)", "path": "\(path)", "status": "\(status)",
                    "duration": "\(started.duration(to: .now))",
                ]
            )
            if status == 401, attempt == 1, tokens.refreshAfterUnauthorized() {
                logger.info("the API server refused the bearer token; sending again with the token re-read from its file")
                continue
            }
            return Reply(status: status, headers: response.headers, body: buffer)
        }
    }

    /// Opens a streaming GET (a watch), failing with the server's error when it is not a success.
    func openStream(_ path: String, query: [(String, String)]) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            let request = try makeRequest(.GET, path, query: query, body: nil, contentType: nil)
            let response = try await httpClient.execute(request, deadline: .now() + .nanoseconds(options.requestTimeout.wholeNanoseconds))
            let status = Int(response.status.code)
            logger.trace("kubernetes watch", metadata: ["path": "\(path)", "status": "\(status)"])
            if (200..<300).contains(status) { return response }
            let buffer = try await response.body.collect(upTo: options.maximumResponseBytes)
            if status == 401, attempt == 1, tokens.refreshAfterUnauthorized() { continue }
            throw Self.error(Reply(status: status, headers: response.headers, body: buffer))
        }
    }

    private func makeRequest(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: Data?, contentType: String?
    ) throws -> HTTPClientRequest {
        var url = baseURL + path
        if !query.isEmpty { url += "?" + PercentEncoding.query(query) }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: options.userAgent)
        if let authorization = try tokens.authorization() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    // MARK: Decoding

    /// The decoded body of a successful answer; the server's error otherwise.
    func decode<Value: Decodable>(_ type: Value.Type, from reply: Reply) throws -> Value {
        guard reply.isSuccess else { throw Self.error(reply) }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(reply.body.readableBytesView))
        } catch {
            throw KubernetesAPIError.invalidResponse(httpStatus: reply.status, "the answer is not a valid \(Value.self): \(error)")
        }
    }

    /// Throws the server's error unless the answer is a success.
    func check(_ reply: Reply) throws {
        guard reply.isSuccess else { throw Self.error(reply) }
    }

    /// The error of a failed answer, from its `Status` body when it has one.
    static func error(_ reply: Reply) -> KubernetesAPIError {
        let status = try? JSONDecoder().decode(KubernetesStatus.self, from: Data(reply.body.readableBytesView))
        let text = String(buffer: reply.body)
        let excerpt = text.count > 512 ? String(text.prefix(512)) + "..." : text
        let retryAfter = reply.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
        return KubernetesAPIError(
            httpStatus: reply.status, status: status?.reason == nil && status?.message == nil ? nil : status,
            bodyExcerpt: excerpt.isEmpty ? "HTTP \(reply.status)" : excerpt, retryAfter: retryAfter
        )
    }
}
