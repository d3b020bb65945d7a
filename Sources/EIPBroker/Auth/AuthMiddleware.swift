import EIPCore
import EIPStore
import HTTPTypes
import Hummingbird

/// Checks the bearer token of every `/v1` request and runs the rest of the chain as its
/// principal. Tokens are looked up by hash; the token itself is never logged.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: BrokerStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw BrokerError(.unauthenticated, "missing Authorization header: send 'Authorization: Bearer <token>'")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw BrokerError(.unauthenticated, "the Authorization header must be 'Bearer <token>'")
        }
        let hash = TokenHasher.hash(String(parts[1]))
        guard let found = try await store.owner(ofTokenHash: hash), TokenHasher.constantTimeEqual(found.hash, hash) else {
            throw BrokerError(.unauthenticated, "the bearer token is not valid")
        }
        return try await RequestScope.$owner.withValue(found.owner) {
            try await next(request, context)
        }
    }
}
