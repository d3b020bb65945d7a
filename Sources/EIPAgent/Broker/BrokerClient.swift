public import AsyncHTTPClient
package import EIPAPI
public import Foundation
import NIOCore
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// A lease as the broker shows it (`Lease` of `api/openapi.yaml`).
package typealias BrokerLease = Components.Schemas.Lease

/// The agent's side of the broker API: the generated client with the agent's bearer token, and
/// every problem answer turned into a ``BrokerClientError`` carrying the broker's `code`,
/// `detail` and `Retry-After`.
///
/// ```swift
/// let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BrokerClient.httpConfiguration)
/// let broker = BrokerClient(serverURL: URL(string: "https://broker:8443")!, tokens: .file("/var/run/eip-broker/token"), httpClient: http)
/// let lease = try await broker.allocate(request.allocateRequest(namespace: "default", pod: "web-0", podUID: uid), wait: 10)
/// ```
public struct BrokerClient: Sendable {
    private let client: Client

    /// - Parameters:
    ///   - serverURL: The broker's base URL, such as `https://eip-broker.example:8443`.
    ///   - tokens: Where the cluster token comes from; read for every request, never logged.
    ///   - httpClient: The HTTP client to send with (HTTP/2 over TLS where the broker offers it),
    ///     configured as ``httpConfiguration`` or with an idle timeout as short.
    public init(serverURL: URL, tokens: BrokerTokenSource, httpClient: HTTPClient) {
        client = Client(
            serverURL: serverURL, transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient)),
            middlewares: [BrokerAuthenticationMiddleware(tokens: tokens)]
        )
    }

    /// How the agent's HTTP client talks to the broker: idle connections are dropped after 8 s,
    /// before the broker closes them (a connection that has not sent its first request after
    /// 10 s, any connection idle for 60 s), so a call never goes out on a connection the broker
    /// is closing at that moment. `HTTPClient.shared` keeps them 60 s, the broker's own limit.
    public static var httpConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(8))
        return configuration
    }

    /// `POST /v1/leases?wait=`: the pod's lease, new (201) or the one it already holds (200).
    package func allocate(_ body: Components.Schemas.AllocateRequest, wait: Int) async throws -> BrokerLease {
        switch try await client.createLease(query: .init(wait: wait), body: .json(body)) {
        case .created(let created): return try created.body.json
        case .ok(let ok): return try ok.body.json
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// `POST /v1/lease-imports` (an admin token): the pod's EIP, made by someone else, becomes
    /// its lease. - Returns: the lease, and whether this call made it (201) or it was there (200).
    package func importLease(_ body: Components.Schemas.LeaseImport) async throws -> (lease: BrokerLease, created: Bool) {
        switch try await client.importLease(body: .json(body)) {
        case .created(let created): return (try created.body.json, true)
        case .ok(let ok): return (try ok.body.json, false)
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// `POST /v1/leases/{id}/associate?wait=` with the pod's IP.
    package func associate(leaseID: String, privateIPAddress: String, wait: Int) async throws -> BrokerLease {
        let output = try await client.associateLease(
            path: .init(id: leaseID), query: .init(wait: wait), body: .json(.init(privateIpAddress: privateIPAddress))
        )
        switch output {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// `POST /v1/leases/{id}/release?wait=`: the pod is gone; the broker applies the strategy.
    package func release(leaseID: String, force: Bool = false, wait: Int) async throws -> BrokerLease {
        let output = try await client.releaseLease(
            path: .init(id: leaseID), query: .init(wait: wait), body: force ? .json(.init(force: true)) : nil
        )
        switch output {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// `GET /v1/leases/{id}`.
    package func lease(id: String) async throws -> BrokerLease {
        switch try await client.getLease(path: .init(id: id)) {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// `POST /v1/heartbeats` with every live pod that wants an EIP (the complete list: a pod
    /// left out has its lease's release strategy applied).
    package func heartbeat(_ pods: [Components.Schemas.HeartbeatPod]) async throws -> Components.Schemas.HeartbeatResponse {
        switch try await client.postHeartbeat(body: .json(.init(pods: pods))) {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    private static func error(_ status: Int, _ response: Components.Responses.Problem) -> BrokerClientError {
        let retryAfter = response.headers.retryAfter.map { Duration.seconds($0) }
        guard case .applicationProblemJson(let problem) = response.body else {
            return BrokerClientError(code: .internal, httpStatus: status, retryAfter: retryAfter)
        }
        return BrokerClientError(
            code: BrokerClientError.Code(rawValue: problem.code.rawValue), httpStatus: status, detail: problem.detail,
            retryAfter: retryAfter
        )
    }
}
