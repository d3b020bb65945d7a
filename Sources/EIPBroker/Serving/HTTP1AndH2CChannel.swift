public import HummingbirdCore
public import HummingbirdHTTP2
public import Logging
public import NIOCore
import NIOHTTP2

/// Child channel that serves HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c) on one listener.
///
/// Each accepted connection starts by buffering its first bytes. If they are the HTTP/2 connection
/// preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) the connection is configured as ``HTTP2Channel`` does;
/// as soon as a byte rules the preface out it is configured as ``HTTP1Channel`` does. The buffered
/// bytes are then replayed into the chosen pipeline. This is how Go's `h2c` handler tells the two apart.
/// HTTP/1.1 `Upgrade: h2c` is not offered: clients that want HTTP/2 use prior knowledge.
///
/// Use it through ``HummingbirdCore/HTTPServerBuilder/http1AndH2C(configuration:)``.
public struct HTTP1AndH2CChannel: HTTPChannelHandler {
    /// Configuration of both protocols: HTTP/2 connection settings, and in `streamConfiguration`
    /// the HTTP/1.1 connection settings (also used for each HTTP/2 stream), as ``HTTP2UpgradeChannel`` does.
    ///
    /// `streamConfiguration.idleTimeout` also bounds how long a new connection may stay silent
    /// before its protocol is known.
    public typealias Configuration = HTTP2ChannelConfiguration

    /// The connection after its protocol has been chosen and its pipeline configured.
    public struct Value: ServerChildChannelValue {
        let negotiatedHTTPVersion: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>>
        /// The accepted connection.
        public let channel: any Channel
    }

    private let http1: HTTP1Channel
    private let http2: HTTP2Channel
    /// Configuration the channel was created with.
    public let configuration: Configuration
    /// Function that writes the HTTP response for an HTTP request.
    public var responder: Responder {
        self.http1.responder
    }

    /// Creates a channel that serves HTTP/1.1 and h2c.
    /// - Parameters:
    ///   - responder: Function that writes the HTTP response for an HTTP request.
    ///   - configuration: HTTP/2 configuration; its `streamConfiguration` configures HTTP/1.1 connections too.
    public init(
        responder: @escaping HTTPChannelHandler.Responder,
        configuration: Configuration = .init()
    ) {
        self.configuration = configuration
        self.http1 = HTTP1Channel(responder: responder, configuration: configuration.streamConfiguration)
        self.http2 = HTTP2Channel(responder: responder, configuration: configuration)
    }

    /// Sets up a new connection to detect its protocol from its first bytes.
    /// - Parameters:
    ///   - channel: The accepted connection.
    ///   - logger: Logger used during setup.
    /// - Returns: The connection, whose protocol is chosen once enough bytes have arrived.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let detector = PrefaceDetectionHandler(
                eventLoop: channel.eventLoop,
                silenceTimeout: self.configuration.streamConfiguration.idleTimeout
            ) { detected, channel in
                switch detected {
                case .http1:
                    self.http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                case .http2:
                    self.http2.setup(channel: channel, logger: logger).map { .http2($0) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(detector)
            return Value(negotiatedHTTPVersion: detector.negotiatedHTTPVersion, channel: channel)
        }
    }

    /// Serves the connection with the protocol chosen for it.
    /// - Parameters:
    ///   - value: The connection returned by ``setup(channel:logger:)``.
    ///   - logger: Logger used while serving requests.
    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiatedHTTPVersion.get() {
            case .http1_1(let http1):
                await self.http1.handle(value: http1, logger: logger)
            case .http2(let http2):
                await self.http2.handle(value: http2, logger: logger)
            }
        } catch {
            logger.debug("Connection closed before its HTTP version was known: \(error)")
        }
    }
}

extension HTTP1AndH2CChannel {
    /// The protocol a connection's first bytes announce.
    enum DetectedProtocol: Equatable {
        case http1
        case http2
    }

    /// The 24 bytes every HTTP/2 client sends first (RFC 9113, section 3.4).
    static let http2ConnectionPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// Decides the protocol from the first bytes of a connection.
    /// - Parameter bytes: Every byte received on the connection so far.
    /// - Returns: `.http2` once the whole preface has arrived, `.http1` as soon as a byte differs from it,
    ///   and `nil` while the bytes are a proper prefix of the preface.
    static func detectProtocol(_ bytes: some Collection<UInt8>) -> DetectedProtocol? {
        let preface = Self.http2ConnectionPreface
        let count = min(bytes.count, preface.count)
        guard bytes.prefix(count).elementsEqual(preface.prefix(count)) else { return .http1 }
        return count == preface.count ? .http2 : nil
    }

    /// Buffers a connection's first bytes until its protocol is known, configures the pipeline for
    /// that protocol, replays the bytes into it and removes itself.
    ///
    /// While the protocol is unknown no request can be in flight, so a graceful-shutdown request,
    /// a half-closed input or `silenceTimeout` elapsing closes the connection.
    final class PrefaceDetectionHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias Negotiated = NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>
        typealias Configurator = (DetectedProtocol, any Channel) -> EventLoopFuture<Negotiated>

        private enum Phase {
            case detecting
            case configuring
            case forwarding
        }

        let negotiatedHTTPVersion: EventLoopFuture<Negotiated>
        private var promise: EventLoopPromise<Negotiated>?
        private let configurator: Configurator
        private let silenceTimeout: TimeAmount?
        private var silenceTimer: Scheduled<Void>?
        private var phase = Phase.detecting
        private var buffered: ByteBuffer?
        private var eventsWhileConfiguring: [Any] = []

        init(eventLoop: any EventLoop, silenceTimeout: TimeAmount?, configurator: @escaping Configurator) {
            let promise = eventLoop.makePromise(of: Negotiated.self)
            self.promise = promise
            self.negotiatedHTTPVersion = promise.futureResult
            self.silenceTimeout = silenceTimeout
            self.configurator = configurator
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive {
                self.startSilenceTimer(context: context)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.cancelSilenceTimer()
            self.promise?.fail(ChannelError.inappropriateOperationForState)
            self.promise = nil
        }

        func channelActive(context: ChannelHandlerContext) {
            self.startSilenceTimer(context: context)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.cancelSilenceTimer()
            self.promise?.fail(ChannelError.eof)
            self.promise = nil
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.phase {
            case .forwarding:
                context.fireChannelRead(data)
            case .configuring:
                self.buffer(self.unwrapInboundIn(data))
            case .detecting:
                self.buffer(self.unwrapInboundIn(data))
                guard let bytes = self.buffered, let detected = HTTP1AndH2CChannel.detectProtocol(bytes.readableBytesView) else {
                    return
                }
                self.configure(detected, context: context)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            if self.phase == .forwarding {
                context.fireChannelReadComplete()
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            switch self.phase {
            case .forwarding:
                context.fireUserInboundEventTriggered(event)
            case .configuring:
                self.eventsWhileConfiguring.append(event)
            case .detecting:
                switch event {
                case is ChannelShouldQuiesceEvent:
                    context.close(promise: nil)
                case let event as ChannelEvent where event == .inputClosed:
                    context.close(promise: nil)
                default:
                    context.fireUserInboundEventTriggered(event)
                }
            }
        }

        private func buffer(_ bytes: ByteBuffer) {
            var bytes = bytes
            if self.buffered == nil {
                self.buffered = bytes
            } else {
                self.buffered!.writeBuffer(&bytes)
            }
        }

        private func configure(_ detected: DetectedProtocol, context: ChannelHandlerContext) {
            self.phase = .configuring
            self.cancelSilenceTimer()
            self.configurator(detected, context.channel)
                .hop(to: context.eventLoop)
                .assumeIsolated()
                .whenComplete { result in
                    self.configured(result, context: context)
                }
        }

        private func configured(_ result: Result<Negotiated, any Error>, context: ChannelHandlerContext) {
            guard let promise = self.promise else { return }
            self.promise = nil
            switch result {
            case .failure(let error):
                promise.fail(error)
                context.close(promise: nil)
            case .success(let negotiated):
                promise.succeed(negotiated)
                self.phase = .forwarding
                if let bytes = self.buffered {
                    self.buffered = nil
                    context.fireChannelRead(self.wrapInboundOut(bytes))
                    context.fireChannelReadComplete()
                }
                let events = self.eventsWhileConfiguring
                self.eventsWhileConfiguring = []
                for event in events {
                    context.fireUserInboundEventTriggered(event)
                }
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }

        private func startSilenceTimer(context: ChannelHandlerContext) {
            guard let silenceTimeout = self.silenceTimeout, self.phase == .detecting, self.silenceTimer == nil else { return }
            self.silenceTimer = context.eventLoop.assumeIsolated().scheduleTask(in: silenceTimeout) {
                context.close(promise: nil)
            }
        }

        private func cancelSilenceTimer() {
            self.silenceTimer?.cancel()
            self.silenceTimer = nil
        }
    }
}

@available(*, unavailable)
extension HTTP1AndH2CChannel.PrefaceDetectionHandler: Sendable {}
