import EIPCore
import EIPStore
import Hummingbird
import Logging
import NIOCore

/// The request context of the broker's router: Hummingbird's core context (with the request's
/// logger), the peer's address, the request's id and, once ``AuthMiddleware`` has checked the
/// token, the caller.
///
/// The generated handlers see no router context: ``AuthMiddleware`` publishes the context of an
/// authenticated request as ``current`` for the rest of its work.
struct BrokerRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer (for an HTTP/2 stream, its connection's peer).
    let remoteAddress: SocketAddress?
    /// The request's id (``RequestIDMiddleware``): the caller's `X-Request-Id`, or one made here.
    var requestID: String
    /// Whose token the request carries; `nil` until ``AuthMiddleware`` has checked it.
    var caller: TokenOwner?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        requestID = ""
        requestID = id
    }

    /// The key a caller without a valid token is limited by: its IP address.
    var sourceKey: String { "ip " + (remoteAddress?.ipAddress ?? "unknown") }

    /// The context of the authenticated request whose work this task does.
    @TaskLocal static var current: BrokerRequestContext?

    /// The authenticated caller; throws `Unauthenticated` outside an authenticated request.
    static func caller() throws(BrokerError) -> Principal {
        guard let caller = current?.caller else { throw BrokerError(.unauthenticated, "a bearer token is required") }
        return caller.principal
    }

    /// The caller, who must be an administrator.
    static func admin() throws(BrokerError) -> Principal {
        let caller = try caller()
        guard caller == .admin else { throw BrokerError(.permissionDenied, "this call needs an admin token") }
        return caller
    }

    /// The calling cluster's immutable id; `nil` for an admin or outside an authenticated request.
    static var clusterID: String? { current?.caller?.clusterID }
}
