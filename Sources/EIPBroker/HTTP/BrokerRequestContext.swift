import Hummingbird
import NIOCore

/// The request context of the broker's router: Hummingbird's core context and the peer's
/// address, by which unauthenticated callers are rate limited (``RequestRateLimiter``).
struct BrokerRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer (for an HTTP/2 stream, its connection's peer).
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The key a caller without a valid token is limited by: its IP address.
    var sourceKey: String { "ip " + (remoteAddress?.ipAddress ?? "unknown") }
}
