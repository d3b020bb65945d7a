import Logging
import NIOCore
import Synchronization

/// The broker's open connections, and which of them are serving a request.
///
/// The listener stops accepting at ``maximum`` (Hummingbird's `MaximumAvailableConnections`), so
/// sockets never use up the file descriptors the process needs for everything else. To keep room
/// for new clients (a kubelet probe, an agent) when idle or hostile connections have taken every
/// slot, the connection that fills the last slot makes the registry close the connection that has
/// been idle longest: one with no request in flight, which includes one still sending its first
/// request's headers. Connections serving a request are never closed for room.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        /// Requests whose head has been read and whose response has not ended.
        var requestsInFlight = 0
        /// Whether any request head has been read on the connection.
        var servedARequest = false
        /// When the connection last became idle, as a sequence number (larger is later).
        var idleSince: UInt64
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var clock: UInt64 = 0

        mutating func tick() -> UInt64 {
            self.clock &+= 1
            return self.clock
        }
    }

    /// The most connections open at once.
    let maximum: Int
    private let state = Mutex(State())
    private let logger: Logger

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    /// Records an accepted connection until it closes. When it takes the last free slot, the
    /// longest-idle other connection is closed to make room for the next.
    func opened(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let evicted: (any Channel)? = self.state.withLock { state in
            state.entries[id] = Entry(channel: channel, idleSince: state.tick())
            guard state.entries.count >= self.maximum else { return nil }
            var oldest: (id: ObjectIdentifier, idleSince: UInt64)?
            for (key, entry) in state.entries where key != id && entry.requestsInFlight == 0 {
                if oldest.map({ entry.idleSince < $0.idleSince }) ?? true { oldest = (key, entry.idleSince) }
            }
            return oldest.flatMap { state.entries.removeValue(forKey: $0.id)?.channel }
        }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLock { $0.entries.removeValue(forKey: id) }
        }
        if let evicted {
            self.logger.debug("Closing the longest-idle connection to make room", metadata: ["connections": "\(self.maximum)"])
            evicted.close(promise: nil)
        }
    }

    /// Whether the connection has not yet delivered the head of any request.
    func isWaitingForFirstRequest(_ channel: any Channel) -> Bool {
        self.state.withLock { $0.entries[ObjectIdentifier(channel)].map { !$0.servedARequest } ?? false }
    }

    /// A request's head has been read on `connection`.
    func requestStarted(on connection: any Channel) {
        self.state.withLock { state in
            guard var entry = state.entries[ObjectIdentifier(connection)] else { return }
            entry.requestsInFlight += 1
            entry.servedARequest = true
            state.entries[ObjectIdentifier(connection)] = entry
        }
    }

    /// A request on `connection` has ended (its response is written, or its stream closed).
    func requestFinished(on connection: any Channel) {
        self.state.withLock { state in
            guard var entry = state.entries[ObjectIdentifier(connection)] else { return }
            entry.requestsInFlight = max(0, entry.requestsInFlight - 1)
            if entry.requestsInFlight == 0 { entry.idleSince = state.tick() }
            state.entries[ObjectIdentifier(connection)] = entry
        }
    }
}
