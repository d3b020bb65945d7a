public import EIPCore

/// What the books say about an `Idempotency-Key`.
public enum IdempotencyRecord: Sendable, Equatable {
    /// First use: the caller goes ahead and must ``BrokerStore/completeIdempotentRequest`` or
    /// ``BrokerStore/abandonIdempotentRequest``.
    case started
    /// The same request was answered before: replay this answer.
    case completed(status: Int, body: String)
    /// The key was used with a different request.
    case mismatch
    /// The same request is being answered right now.
    case inProgress
}

extension BrokerStore {
    /// Claims an idempotency key for a request (identified by `requestHash`) in the caller's scope.
    public func beginIdempotentRequest(scope: String, key: String, requestHash: String) async throws -> IdempotencyRecord {
        try await transaction { sql in
            let now = Timestamp.now.milliseconds
            let inserted = try await sql.query(
                """
                INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES (\(scope), \(key), \(requestHash), \(now))
                ON CONFLICT (scope, key) DO NOTHING RETURNING key
                """
            )
            if !inserted.isEmpty { return .started }
            guard let row = try await sql.query("SELECT * FROM idempotency_keys WHERE scope = \(scope) AND key = \(key)").first else {
                return .inProgress
            }
            guard row.string("request_hash") == requestHash else { return .mismatch }
            guard let status = row.int("status"), let body = row.string("response") else { return .inProgress }
            return .completed(status: status, body: body)
        }
    }

    /// Stores the answer to replay for this key.
    public func completeIdempotentRequest(scope: String, key: String, status: Int, body: String) async throws {
        try await database.query("UPDATE idempotency_keys SET status = \(status), response = \(body) WHERE scope = \(scope) AND key = \(key)")
    }

    /// Frees a key whose request failed before changing anything, so it may be retried.
    public func abandonIdempotentRequest(scope: String, key: String) async throws {
        try await database.query("DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) AND status IS NULL")
    }

    /// Forgets keys older than `before`.
    public func purgeIdempotencyKeys(before: Timestamp) async throws {
        try await database.query("DELETE FROM idempotency_keys WHERE created_at < \(before.milliseconds)")
    }
}
