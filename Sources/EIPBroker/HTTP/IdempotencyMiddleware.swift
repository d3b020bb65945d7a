import Crypto
import EIPCore
import EIPStore
import Foundation
import HTTPTypes
import Hummingbird

/// Honours the `Idempotency-Key` header on mutating calls (a middleware of the `/v1` route
/// group, after the token and the body limit): the first answer to a key is stored
/// and replayed for the same request; the same key with a different request is a `Conflict`.
///
/// Only the operations whose spec declares the header take part, matched by the route the
/// router resolved (so `/tokens/` and `/tokens` are one operation, and the token mint, whose
/// answer is a secret, is never stored). Keys are scoped to the caller's identity (the cluster's
/// immutable id, which a re-created cluster of the same name does not inherit), the operation and
/// its path parameters. Answers that say "try again" (5xx, 429) are not stored, so a retry does
/// the work again.
///
/// While a request runs, its key is held for ``hold`` at a time and the hold is renewed every
/// third of it; a retry of a key whose request died (its replica killed, its connection to the
/// database gone) waits at most that long for a `409`, then takes the key over and runs the
/// operation again.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = BrokerRequestContext
    let store: BrokerStore
    /// This replica's requests, as the holder of the keys they answer.
    let holder = "replica-" + UUID().uuidString.prefix(8).lowercased()
    static var headerName: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }
    static var hold: Duration { .seconds(15) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let operation = "\(request.method.rawValue) \(context.endpointPath ?? "")"
        guard idempotentOperations.contains(operation), let key = request.headers[Self.headerName], let owner = context.caller else {
            return try await next(request, context)
        }
        guard (1...200).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
            throw BrokerError.invalid("Idempotency-Key", "must be 1-200 printable ASCII characters without spaces")
        }
        var request = request
        let body = try await request.collectBody(upTo: .max)
        let requestHash = Self.requestHash(query: request.uri.query ?? "", body: body)
        let parameters = context.parameters.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
        let scope = Self.scope(identity: owner.identity, operation: operation, parameters: parameters)

        let now = store.clock.timestamp
        switch try await store.beginIdempotentRequest(
            scope: scope, key: key, requestHash: requestHash, holder: holder, heldUntil: now.adding(Self.hold), now: now
        ) {
        case .completed(let status, let stored):
            var headers: HTTPFields = [:]
            if !stored.isEmpty { headers[.contentType] = status >= 400 ? "application/problem+json" : "application/json" }
            headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored)))
        case .mismatch:
            throw BrokerError(.conflict, "Idempotency-Key '\(key)' was already used with a different request")
        case .inProgress:
            throw BrokerError(.conflict, "a request with Idempotency-Key '\(key)' is still being answered", retryAfter: 1)
        case .started:
            break
        }
        let response: Response
        do {
            response = try await whileRenewing(every: Self.hold / 3) { [store, holder] in
                _ = try? await store.holdIdempotentRequest(
                    scope: scope, key: key, holder: holder, until: store.clock.timestamp.adding(Self.hold))
            } run: {
                try await next(request, context)
            }
        } catch {
            let problem = ProblemMiddleware<Context>.brokerError(for: error)
            try await finish(scope: scope, key: key, status: problem.code.httpStatus, body: nil)
            throw error
        }
        let collector = CollectingWriter()
        var buffered = response
        try await response.body.write(collector.writerReference)
        let bytes = collector.collected.value
        buffered.body = .init(byteBuffer: bytes)
        try await finish(scope: scope, key: key, status: response.status.code, body: String(buffer: bytes))
        return buffered
    }

    /// Stores a final answer, or frees the key after a transient failure.
    private func finish(scope: String, key: String, status: Int, body: String?) async throws {
        if status >= 500 || status == 429 || body == nil {
            try await store.abandonIdempotentRequest(scope: scope, key: key, holder: holder)
        } else {
            try await store.completeIdempotentRequest(scope: scope, key: key, holder: holder, status: status, body: body ?? "")
        }
    }

    /// The books' scope of a key: the caller's identity, the operation and its path parameters.
    static func scope(identity: String, operation: String, parameters: String) -> String {
        "\(identity) \(operation) \(parameters)"
    }

    /// What makes two requests with one key the same request: the query and the body.
    static func requestHash(query: String, body: ByteBuffer) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(query.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(buffer: body))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// The operations (`METHOD template`) whose spec declares `Idempotency-Key`; a test checks the
/// set against `api/openapi.yaml`.
let idempotentOperations: Set<String> = [
    "POST /v1/leases", "POST /v1/leases/{id}/associate", "POST /v1/leases/{id}/disassociate", "POST /v1/leases/{id}/release",
    "POST /v1/heartbeats", "POST /v1/pools", "POST /v1/bandwidth-packages", "POST /v1/clusters", "POST /v1/lease-imports",
]

/// A response body writer that keeps what is written.
private struct CollectingWriter {
    final class Box: @unchecked Sendable {
        var value = ByteBuffer()
    }
    let collected = Box()

    var writerReference: any ResponseBodyWriter { Writer(box: collected) }

    struct Writer: ResponseBodyWriter {
        let box: Box
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            box.value.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
