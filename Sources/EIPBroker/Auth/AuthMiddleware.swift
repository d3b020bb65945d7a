import EIPCore
import EIPStore
import HTTPTypes
import Hummingbird

/// Checks the bearer token of every `/v1` request (the routes of the `/v1` group), from the
/// headers alone (before any body is read), charges the caller's rate limit, and runs the rest
/// of the chain with the caller in the context, published as ``BrokerRequestContext/current``.
/// Tokens are looked up by hash; the token itself is never logged.
///
/// A request with a valid token is limited by its token's owner (a cluster's id, or the admin);
/// one without is limited by its source address, so guessing tokens is slow as well.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BrokerRequestContext
    let store: BrokerStore
    let tokenLimiter: RequestRateLimiter
    let sourceLimiter: RequestRateLimiter
    let knownTokens = KnownTokens()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.caller = try await authenticate(request, context: context)
        return try await BrokerRequestContext.$current.withValue(context) {
            try await next(request, context)
        }
    }

    /// The token's owner, with its rate charged; a refusal is charged to the source address.
    /// A token seen before is charged before it is looked up, so a caller over its rate costs
    /// no database work.
    private func authenticate(_ request: Request, context: Context) async throws -> TokenOwner {
        func refuse(_ message: String) async throws -> Never {
            try await sourceLimiter.admit(context.sourceKey, what: "this address (without a valid token)")
            throw BrokerError(.unauthenticated, message)
        }
        guard let header = request.headers[.authorization] else {
            try await refuse("missing Authorization header: send 'Authorization: Bearer <token>'")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            try await refuse("the Authorization header must be 'Bearer <token>'")
        }
        let hash = TokenHasher.hash(String(parts[1]))
        let hinted = knownTokens.owner(ofHash: hash)
        if let hinted { try await tokenLimiter.admit(hinted.key, what: hinted.label) }
        guard let found = try await store.owner(ofTokenHash: hash), TokenHasher.constantTimeEqual(found.hash, hash) else {
            knownTokens.forget(hash)
            try await refuse("the bearer token is not valid")
        }
        let owner = KnownTokens.Owner(
            key: found.owner.identity, label: found.owner.principal.clusterScope.map { "cluster '\($0)'" } ?? "the admin token"
        )
        if hinted != owner {
            try await tokenLimiter.admit(owner.key, what: owner.label)
            knownTokens.remember(hash, owner: owner)
        }
        return found.owner
    }
}
