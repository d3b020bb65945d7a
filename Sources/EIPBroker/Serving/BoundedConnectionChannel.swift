import HummingbirdCore
import Logging
import NIOCore

/// Wraps the broker's connection setup (h2c and HTTP/1.1, or TLS) so every accepted connection is
/// counted in a ``ConnectionRegistry`` and must deliver its first request's head (after any TLS
/// handshake or HTTP/2 preface) within `firstRequestTimeout`, else it is closed.
///
/// Later requests are bounded by ``RequestDeadlineHandler`` and the idle timeout.
struct BoundedConnectionChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let registry: ConnectionRegistry
    let firstRequestTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        self.registry.opened(channel)
        // NIO keeps each connection's receive buffer for its next read; API requests are small, so
        // reads of at most 8 KiB keep an open connection's share of memory small.
        try? channel.syncOptions?.setOption(
            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 8192))
        let registry = self.registry
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(self.firstRequestTimeout)) {
            if registry.isWaitingForFirstRequest(channel) {
                logger.debug("Closing a connection that sent no request headers within \(self.firstRequestTimeout)")
                channel.close(promise: nil)
            }
        }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
        return self.base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}
