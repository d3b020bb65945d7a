import AsyncHTTPClient
import EIPAgent
import EIPBroker
import EIPCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// A real broker on a loopback port for one test, with its logs captured and an HTTP client.
///
/// ```swift
/// try await TestBroker.with(.sqlite) { broker in
///     let response = try await broker.call(.GET, "/v1/pools", token: broker.adminToken)
///     #expect(response.status == 200)
/// }
/// ```
final class TestBroker: Sendable {
    let url: String
    let port: Int
    let adminToken: String
    let logs: CapturedLogs
    let client: HTTPClient
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(
        url: String, port: Int, adminToken: String, logs: CapturedLogs, client: HTTPClient, group: ServiceGroup, task: Task<Void, any Error>
    ) {
        self.url = url
        self.port = port
        self.adminToken = adminToken
        self.logs = logs
        self.client = client
        self.group = group
        self.task = task
    }

    /// Starts a broker on `databaseURL` with test-friendly settings, changed by `configure`,
    /// its books on `clock`.
    static func start(
        databaseURL: String, logLevel: Logger.Level = .debug, clock: WallClock = .system,
        configure: (inout BrokerConfiguration) -> Void = { _ in }
    ) async throws -> TestBroker {
        let configuration = Self.configuration(databaseURL: databaseURL, configure: configure)
        let logs = CapturedLogs()
        let logger = logs.logger(level: logLevel)
        let ready = AsyncStream<BrokerReadyInfo>.makeStream()
        let app = try await buildApplication(configuration: configuration, clock: clock, logger: logger) { info in
            ready.continuation.yield(info)
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ready.stream.makeAsyncIterator()
        guard let info = await iterator.next() else { throw BrokerStartFailed() }
        return TestBroker(
            url: info.url, port: info.port, adminToken: configuration.adminToken!, logs: logs,
            client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration), group: group, task: task
        )
    }

    /// The agent's client settings (``BrokerClient/httpConfiguration``), with a bound on getting
    /// a connection that a loaded machine cannot reach. Calls beyond the pool's 8 connections per
    /// host wait for one, and AsyncHTTPClient bounds that wait by the connect timeout (10 s by
    /// default): bursts of calls the broker holds (rate-limit refusals) would fail there, on the
    /// client, when the machine is slow.
    static var httpConfiguration: HTTPClient.Configuration {
        var configuration = BrokerClient.httpConfiguration
        configuration.timeout.connect = .seconds(120)
        return configuration
    }

    /// The test-friendly settings of a broker on `databaseURL` (a random admin token, quick loops,
    /// no rate limits), changed by `configure`.
    static func configuration(databaseURL: String, configure: (inout BrokerConfiguration) -> Void = { _ in }) -> BrokerConfiguration {
        var configuration = BrokerConfiguration()
        configuration.port = 0
        configuration.databaseURL = databaseURL
        configuration.adminToken = "admin-" + UUID().uuidString
        configuration.heartbeatGrace = .zero
        configuration.poolKeeperInterval = .milliseconds(50)
        configuration.pollInterval = .milliseconds(50)
        // Tests fire bursts from one token on purpose; the rate-limit tests turn the limits on.
        configuration.tokenRate = RequestRate(perSecond: 0, burst: 0)
        configuration.unauthenticatedRate = RequestRate(perSecond: 0, burst: 0)
        // A loaded machine can stall the database for seconds; the outage tests set their own.
        configuration.databaseTimeout = .seconds(120)
        // A connection the client's pool opened for a call that another connection then served
        // sends nothing until its next call: it must outlive the client's 8 s idle timeout
        // however late that timer runs, or that call meets a closed connection. The protocol
        // tests set their own.
        configuration.headerTimeout = .seconds(60)
        // Tests change the cloud behind the broker's back on purpose (an EIP released, an
        // association undone) and watch what the lease does next: drift repair finding it first
        // would be another correct answer. Its pass runs once at start; DriftRepairTests set
        // their own interval.
        configuration.driftInterval = .seconds(86_400)
        configure(&configuration)
        return configuration
    }

    /// Stops the broker and its client.
    func stop() async {
        try? await client.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// Runs `body` with a broker on a fresh database of `backend`, then tears both down.
    static func with<Result: Sendable>(
        _ backend: Backend, logLevel: Logger.Level = .debug, clock: WallClock = .system,
        configure: (inout BrokerConfiguration) -> Void = { _ in }, _ body: (TestBroker) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.with(backend) { database in
            let broker = try await start(databaseURL: database.url, logLevel: logLevel, clock: clock, configure: configure)
            do {
                let result = try await body(broker)
                await broker.stop()
                return result
            } catch {
                await broker.stop()
                throw error
            }
        }
    }

    /// One HTTP/1.1 call; `json` is sent as the body with `Content-Type: application/json`.
    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil, headers: [(String, String)] = [])
        async throws -> TestResponse
    {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(300)) // a bound on a hung broker, not a speed check
        } catch {
            // A connection the broker reset or closed: show what the broker said about its connections.
            let lines = logs.text.split(separator: "\n").filter { $0.localizedCaseInsensitiveContains("connection") }.suffix(8)
            print("\(method) \(path) failed: \(error); the broker's last lines about connections:\n" + lines.joined(separator: "\n"))
            throw error
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        if response.status == .internalServerError {
            // Never a right answer: show why, from the broker's own log (errors carry no secrets).
            let errors = logs.text.split(separator: "\n").filter { $0.hasPrefix("error ") }.suffix(5)
            print("broker answered 500 to \(method) \(path); its last errors:\n" + errors.joined(separator: "\n"))
        }
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
    }

    /// A JSON object literal from a dictionary, for request bodies.
    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

struct BrokerStartFailed: Error {}

/// A response and its decoded JSON.
struct TestResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    subscript(key: String) -> String? { object[key].map { "\($0)" } }

    /// `items` of a list answer.
    var items: [[String: Any]] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}
