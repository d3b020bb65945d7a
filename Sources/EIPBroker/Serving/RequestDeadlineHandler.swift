import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Bounds how long a client may take to send a request, and tells the ``ConnectionRegistry``
/// when its connection is serving one.
///
/// Sits after HTTP decoding on an HTTP/1.1 connection or an HTTP/2 stream. Once bytes of a request
/// arrive its head must be complete within `headerTimeout`, and its body within `bodyTimeout` of
/// the head; otherwise the connection (HTTP/1.1) or stream (HTTP/2) is closed. Time spent producing
/// the response is not bounded here, and silence between requests is the idle timeout's business.
///
/// A body still arriving after its response has ended (a request refused before its body was
/// read, say for a missing token or being too large) is dropped here as it arrives, so it is never
/// buffered. On HTTP/1.1, when that body is large (over 64 KiB announced, or chunked) the response
/// also says `Connection: close`, and the connection is closed for writing once it is sent and
/// fully half a second later, as Go's server does: the client reads the answer instead of a
/// reset, and the connection does not wait out the body timeout. A small body is read to its end
/// and the connection stays open.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let registry: ConnectionRegistry
    private let logger: Logger
    /// Heads read whose response has not ended.
    private var requestsInFlight = 0
    /// Whether the current request's head has been read and its end has not.
    private var readingBody = false
    /// Whether the current request's response has ended before its body did.
    private var discardingBody = false
    /// Whether the current request announced a large body (over 64 KiB, or chunked).
    private var bodyIsLarge = false
    /// Whether the connection closes once the current response is written.
    private var closingAfterResponse = false
    /// Whether the current read delivered any request part.
    private var readDeliveredParts = false
    /// Whether bytes of a request whose head is not complete have arrived.
    private var headPending = false
    private var deadline: Scheduled<Void>?

    init(headerTimeout: Duration, bodyTimeout: Duration, registry: ConnectionRegistry, logger: Logger) {
        self.headerTimeout = TimeAmount(headerTimeout)
        self.bodyTimeout = TimeAmount(bodyTimeout)
        self.registry = registry
        self.logger = logger
    }

    /// Whether the channel is an HTTP/2 stream, whose parent is the accepted connection (an
    /// accepted connection's parent is the listener, which has none).
    private func isStream(_ context: ChannelHandlerContext) -> Bool {
        context.channel.parent?.parent != nil
    }

    /// The accepted connection: the channel itself for HTTP/1.1, its parent for an HTTP/2 stream.
    private func connection(_ context: ChannelHandlerContext) -> any Channel {
        self.isStream(context) ? context.channel.parent! : context.channel
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelDeadline()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelDeadline()
        for _ in 0..<self.requestsInFlight {
            self.registry.requestFinished(on: self.connection(context))
        }
        self.requestsInFlight = 0
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.readDeliveredParts = true
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.headPending = false
            self.bodyIsLarge =
                head.headerFields[.contentLength].flatMap { Int($0) }.map { $0 > 64 * 1024 }
                ?? (head.headerFields[.transferEncoding] != nil)
            self.requestsInFlight += 1
            self.readingBody = true
            self.registry.requestStarted(on: self.connection(context))
            self.arm(self.bodyTimeout, reason: "request body", context: context)
        case .body:
            if self.discardingBody { return }
        case .end:
            self.readingBody = false
            self.discardingBody = false
            self.cancelDeadline()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Bytes that made no part while no body is expected: the start of a request's head.
        if !self.readDeliveredParts, !self.readingBody { self.headPending = true }
        self.readDeliveredParts = false
        self.armHeaderDeadlineIfPending(context: context)
        context.fireChannelReadComplete()
    }

    /// Whether the response being written answers the request whose body is still arriving.
    /// Responses go out in request order, so with a later head already read (the client sent
    /// its next request once it had this answer) the answered request's body has ended.
    private var answersARequestStillBeingRead: Bool {
        self.requestsInFlight == 1 && self.readingBody
    }

    /// Starts the header deadline once a head has begun and no response is still being produced.
    private func armHeaderDeadlineIfPending(context: ChannelHandlerContext) {
        if self.headPending, self.requestsInFlight == 0, self.deadline == nil {
            self.arm(self.headerTimeout, reason: "request headers", context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(var head)
        where self.answersARequestStillBeingRead && self.bodyIsLarge && !self.isStream(context) && head.status.kind != .informational:
            head.headerFields[.connection] = "close"
            self.closingAfterResponse = true
            context.write(self.wrapOutboundOut(.head(head)), promise: promise)
        case .end where self.requestsInFlight > 0:
            self.discardingBody = self.answersARequestStillBeingRead
            self.requestsInFlight -= 1
            self.registry.requestFinished(on: self.connection(context))
            self.armHeaderDeadlineIfPending(context: context)
            guard self.closingAfterResponse else { return context.write(data, promise: promise) }
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in
                context.close(mode: .output, promise: nil)
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(500)) { context.close(promise: nil) }
            }
        default:
            context.write(data, promise: promise)
        }
    }

    private func arm(_ timeout: TimeAmount, reason: String, context: ChannelHandlerContext) {
        self.cancelDeadline()
        let logger = self.logger
        self.deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            logger.debug(
                "Closing a \(self.isStream(context) ? "stream" : "connection"): \(reason) not received within \(timeout.nanoseconds / 1_000_000) ms"
            )
            context.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        self.deadline?.cancel()
        self.deadline = nil
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}
