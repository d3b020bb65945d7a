import Crypto
import EIPAPI
import EIPCore
import EIPStore
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Honours the `Idempotency-Key` header on mutating calls: the first answer to a key is stored
/// and replayed for the same request; the same key with a different request is a `Conflict`.
///
/// Only the operations whose spec declares the header take part (``operations``, by operation
/// id, so the token mint, whose answer is a secret, is never stored). Keys are scoped to the
/// caller's identity (the cluster's immutable id, which a re-created cluster of the same name
/// does not inherit), the operation and its path parameters. Answers that say "try again" (5xx,
/// 429) are not stored, so a retry does the work again.
///
/// While a request runs, its key is held for ``hold`` at a time and the hold is renewed every
/// third of it; a retry of a key whose request died (its replica killed, its connection to the
/// database gone) waits at most that long for a `409`, then takes the key over and runs the
/// operation again.
struct IdempotencyMiddleware: ServerMiddleware {
    let store: BrokerStore
    /// This replica's requests, as the holder of the keys they answer.
    let holder = "replica-" + UUID().uuidString.prefix(8).lowercased()
    static var headerName: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }
    static var hold: Duration { .seconds(15) }

    /// The operations whose spec declares `Idempotency-Key`; a test checks the set against
    /// `api/openapi.yaml`.
    static let operations: Set<String> = [
        Operations.CreateLease.id, Operations.AssociateLease.id, Operations.DisassociateLease.id, Operations.ReleaseLease.id,
        Operations.PostHeartbeat.id, Operations.CreatePool.id, Operations.CreateBandwidthPackage.id, Operations.CreateCluster.id,
    ]

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard Self.operations.contains(operationID), let key = request.headerFields[Self.headerName],
            let owner = BrokerRequestContext.current?.caller
        else {
            return try await next(request, body, metadata)
        }
        guard (1...200).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
            throw BrokerError.invalid("Idempotency-Key", "must be 1-200 printable ASCII characters without spaces")
        }
        // The body limit has read the body already: this only takes it from memory.
        let bytes = try await Self.collect(body)
        let query = request.path.map { path in path.firstIndex(of: "?").map { String(path[path.index(after: $0)...]) } ?? "" } ?? ""
        let requestHash = Self.requestHash(query: query, body: bytes)
        let parameters = metadata.pathParameters.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
        let scope = Self.scope(identity: owner.identity, operation: operationID, parameters: parameters)

        let now = Timestamp.now
        switch try await store.beginIdempotentRequest(
            scope: scope, key: key, requestHash: requestHash, holder: holder, heldUntil: now.adding(Self.hold), now: now
        ) {
        case .completed(let status, let stored):
            var response = HTTPResponse(status: .init(code: status))
            if !stored.isEmpty { response.headerFields[.contentType] = status >= 400 ? "application/problem+json" : "application/json" }
            response.headerFields[HTTPField.Name("Idempotent-Replayed")!] = "true"
            return (response, stored.isEmpty ? nil : HTTPBody(stored))
        case .mismatch:
            throw BrokerError(.conflict, "Idempotency-Key '\(key)' was already used with a different request")
        case .inProgress:
            throw BrokerError(.conflict, "a request with Idempotency-Key '\(key)' is still being answered", retryAfter: 1)
        case .started:
            break
        }
        let response: HTTPResponse
        let responseBytes: [UInt8]
        do {
            (response, responseBytes) = try await whileRenewing(every: Self.hold / 3) { [store, holder] in
                _ = try? await store.holdIdempotentRequest(scope: scope, key: key, holder: holder, until: .now.adding(Self.hold))
            } run: {
                let (response, responseBody) = try await next(request, HTTPBody(bytes), metadata)
                return (response, try await Self.collect(responseBody))
            }
        } catch {
            let problem = ProblemMiddleware<BrokerRequestContext>.brokerError(for: error)
            try await finish(scope: scope, key: key, status: problem.code.httpStatus, body: nil)
            throw error
        }
        try await finish(scope: scope, key: key, status: response.status.code, body: String(decoding: responseBytes, as: UTF8.self))
        return (response, responseBytes.isEmpty ? nil : HTTPBody(responseBytes))
    }

    /// A body's bytes; the body limit bounds what a request holds, the handlers what they answer.
    private static func collect(_ body: HTTPBody?) async throws -> [UInt8] {
        guard let body else { return [] }
        return try await [UInt8](collecting: body, upTo: .max)
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
    static func requestHash(query: String, body: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(query.utf8))
        hasher.update(data: [0])
        hasher.update(data: body)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
