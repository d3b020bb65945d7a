public import EIPCore
import EIPSQL

/// What the books say about an `Idempotency-Key`.
public enum IdempotencyRecord: Sendable, Equatable {
    /// First use, or the take-over of a key whose request died unanswered: the caller goes
    /// ahead, keeps the key held (``BrokerStore/holdIdempotentRequest``) while it works, and must
    /// ``BrokerStore/completeIdempotentRequest`` or ``BrokerStore/abandonIdempotentRequest``.
    case started
    /// The same request was answered before: replay this answer.
    case completed(status: Int, body: String)
    /// The key was used with a different request.
    case mismatch
    /// The same request is being answered right now, by a request still alive.
    case inProgress
}

extension BrokerStore {
    /// Claims an idempotency key for a request (identified by `requestHash`) in the caller's
    /// scope, held by `holder` until `heldUntil`. A key still unanswered whose hold has passed
    /// (its request died with its replica, or hung) is taken over, so the retry runs the
    /// operation again: every operation that takes a key is safe to run twice.
    public func beginIdempotentRequest(
        scope: String, key: String, requestHash: String, holder: String, heldUntil: Timestamp, now: Timestamp = .now
    ) async throws -> IdempotencyRecord {
        try await transaction { sql in
            let inserted = try await sql.query(
                """
                INSERT INTO idempotency_keys (scope, key, request_hash, created_at, held_by, held_until)
                VALUES (\(scope), \(key), \(requestHash), \(now.milliseconds), \(holder), \(heldUntil.milliseconds))
                ON CONFLICT (scope, key) DO NOTHING RETURNING key
                """
            )
            if !inserted.isEmpty { return .started }
            guard
                let row = try await sql.query(
                    "SELECT * FROM idempotency_keys WHERE scope = \(scope) AND key = \(key)\(raw: sql.dialect.forUpdate)"
                ).first
            else {
                return .inProgress
            }
            guard row.string("request_hash") == requestHash else { return .mismatch }
            if let status = row.int("status"), let body = row.string("response") { return .completed(status: status, body: body) }
            guard (row.int("held_until") ?? 0) < now.milliseconds else { return .inProgress }
            try await sql.query(
                "UPDATE idempotency_keys SET held_by = \(holder), held_until = \(heldUntil.milliseconds) WHERE scope = \(scope) AND key = \(key) AND status IS NULL"
            )
            return .started
        }
    }

    /// Moves the hold of a key this `holder` is answering to `until`. - Returns: whether it
    /// still holds the key (a retry may have taken it over).
    @discardableResult
    public func holdIdempotentRequest(scope: String, key: String, holder: String, until: Timestamp) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE idempotency_keys SET held_until = \(until.milliseconds)
            WHERE scope = \(scope) AND key = \(key) AND held_by = \(holder) AND status IS NULL RETURNING key
            """
        )
        return !rows.isEmpty
    }

    /// Stores the answer to replay for this key, unless a retry took the key over from `holder`
    /// (then the retry's answer is the one kept).
    public func completeIdempotentRequest(scope: String, key: String, holder: String, status: Int, body: String) async throws {
        try await database.query(
            """
            UPDATE idempotency_keys SET status = \(status), response = \(body), held_by = NULL, held_until = NULL
            WHERE scope = \(scope) AND key = \(key) AND held_by = \(holder) AND status IS NULL
            """
        )
    }

    /// Frees a key `holder` holds whose request failed in a way worth retrying.
    public func abandonIdempotentRequest(scope: String, key: String, holder: String) async throws {
        try await database.query(
            "DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) AND held_by = \(holder) AND status IS NULL")
    }

    /// Forgets keys older than `before`.
    public func purgeIdempotencyKeys(before: Timestamp) async throws {
        try await database.query("DELETE FROM idempotency_keys WHERE created_at < \(before.milliseconds)")
    }
}
