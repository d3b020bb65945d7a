public import HummingbirdCore
public import HummingbirdHTTP2

extension HTTPServerBuilder {
    /// Builds a cleartext server that answers HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one port.
    ///
    /// Each connection's first bytes choose its protocol: the HTTP/2 connection preface selects HTTP/2,
    /// anything else HTTP/1.1. Both `curl http://…` and `curl --http2-prior-knowledge http://…` work.
    /// For TLS use Hummingbird's `.http2Upgrade(tlsConfiguration:)`, which picks h2 or HTTP/1.1 by ALPN.
    ///
    /// Use in `Application` initialization:
    /// ```swift
    /// let app = Application(
    ///     router: router,
    ///     server: .http1AndH2C(configuration: .init(streamConfiguration: .init(idleTimeout: .seconds(30))))
    /// )
    /// ```
    /// - Parameter configuration: HTTP/2 configuration; its `streamConfiguration` configures HTTP/1.1
    ///   connections and HTTP/2 streams.
    /// - Returns: A builder of ``HTTP1AndH2CChannel``.
    public static func http1AndH2C(
        configuration: HTTP1AndH2CChannel.Configuration = .init()
    ) -> HTTPServerBuilder {
        .init { responder in
            HTTP1AndH2CChannel(responder: responder, configuration: configuration)
        }
    }
}
