import EIPCore
import EIPStore

/// The caller of the request being handled, set by ``AuthMiddleware`` for the generated handlers,
/// which do not see Hummingbird's request context.
enum RequestScope {
    @TaskLocal static var owner: TokenOwner?

    /// Who is calling, if the request is authenticated.
    static var principal: Principal? { owner?.principal }

    /// The calling cluster's immutable id; `nil` for an admin or outside an authenticated request.
    static var clusterID: String? { owner?.clusterID }

    /// The authenticated caller; throws `Unauthenticated` outside an authenticated request.
    static func caller() throws(BrokerError) -> Principal {
        guard let principal else { throw BrokerError(.unauthenticated, "a bearer token is required") }
        return principal
    }

    /// The caller, who must be an administrator.
    static func admin() throws(BrokerError) -> Principal {
        let caller = try caller()
        guard caller == .admin else { throw BrokerError(.permissionDenied, "this call needs an admin token") }
        return caller
    }
}
