import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import EIPBroker
@testable import EIPTestSupport

/// Hostile clients against a separate broker process whose open-file limit is 1,024: idle
/// connections, slowloris headers and unfinished unauthenticated uploads cost bounded descriptors
/// and memory, `/healthz` keeps answering on new connections, and the process never dies.
///
/// Latencies and memory are printed for the notes; the tests assert what must hold on any machine.
@Suite(.serialized) struct ConnectionLimitTests {
    /// The broker's own limits, short so that the test does not wait for the defaults.
    static let brokerArguments = ["--idle-timeout", "3", "--header-timeout", "2", "--body-timeout", "5"]

    @Test func idleAndSlowlorisConnectionsNeitherKillTheBrokerNorLockOutHealthChecks() async throws {
        _ = FileDescriptorLimit.raiseSoftLimit() // this process holds 3,500 sockets
        try await BrokerProcess.with(openFileLimit: 1024, arguments: Self.brokerArguments) { broker in
            let attackOpened = Mutex(false)
            let attack = Task {
                async let slow = HostileClients.open(500, port: broker.port, then: .slowloris)
                async let idle = HostileClients.open(3000, port: broker.port, then: .silence)
                let opened = try await (slow, idle)
                attackOpened.withLock { $0 = true }
                return opened
            }
            var probes: [Duration] = []
            var peakDescriptors = 0
            // Probe on new connections while the attack opens its sockets, and ten times after.
            var probesAfterAttackOpened = 0
            while probesAfterAttackOpened < 10 {
                let opened = attackOpened.withLock { $0 }
                probes.append(try await Self.probeHealthz(port: broker.port))
                peakDescriptors = max(peakDescriptors, try broker.openDescriptors())
                if opened { probesAfterAttackOpened += 1 }
            }
            let (slow, idle) = try await attack.value
            #expect(broker.isRunning)
            #expect(peakDescriptors < 1024)

            // Every hostile connection is closed: evicted to make room, or by the header and idle timeouts.
            try await HostileClients.waitUntilClosed(slow + idle, within: .seconds(120))
            #expect(broker.isRunning)
            let after = try await Self.probeHealthz(port: broker.port)
            let sorted = probes.sorted()
            print(
                "ConnectionLimitTests: \(probes.count) /healthz probes during 3,000 idle + 500 slowloris connections: "
                    + "p50 \(sorted[sorted.count / 2]), max \(sorted.last!), after \(after); peak open descriptors \(peakDescriptors) of 1024"
            )
        }
    }

    @Test func unfinishedUnauthenticatedUploadsAreNeverBuffered() async throws {
        _ = FileDescriptorLimit.raiseSoftLimit()
        try await BrokerProcess.with(openFileLimit: 1024, arguments: Self.brokerArguments) { broker in
            _ = try await Self.probeHealthz(port: broker.port)
            let before = try broker.residentBytes()
            let peak = Mutex(before)
            let sampler = Task {
                while !Task.isCancelled {
                    let now = (try? broker.residentBytes()) ?? 0
                    peak.withLock { $0 = max($0, now) }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            // 1,000 uploads that announce 1 MiB, send all of it but the last byte and then wait.
            let uploads = try await HostileClients.open(1000, port: broker.port, then: .unfinishedUpload(bytes: 1 << 20))
            try await HostileClients.waitUntilClosed(uploads, within: .seconds(120))
            #expect(broker.isRunning)
            _ = try await Self.probeHealthz(port: broker.port)
            sampler.cancel()
            let after = try broker.residentBytes()
            let grown = peak.withLock { $0 } - before
            print(
                "ConnectionLimitTests: 1,000 unfinished 1 MiB uploads: RSS \(before >> 20) MiB before, peak +\(grown >> 20) MiB, "
                    + "\(after >> 20) MiB after"
            )
            // Buffered, the bodies would take about 1,000 MiB. Not buffered, what remains is a read
            // buffer of up to 64 KiB per connection that the allocator may keep (70-80 MiB seen):
            // the bound tells the two apart without depending on the machine.
            #expect(grown < 256 << 20, "RSS grew by \(grown >> 20) MiB: are bodies being buffered?")
            #expect(after - before < 256 << 20, "RSS stayed \((after - before) >> 20) MiB above its start")
        }
    }

    @Test func atTheConnectionLimitTheLongestIdleConnectionMakesRoom() async throws {
        // Deadlines far away, so that only room-making closes a connection here.
        try await TestBroker.with(
            .sqlite,
            configure: {
                $0.maximumConnections = 3
                $0.headerTimeout = .seconds(600)
                $0.idleTimeout = .seconds(600)
            }
        ) { broker in
            // Each completes a request and then stays open, idle: one after the other, so the
            // broker has seen them become idle in this order.
            var idle: [any Channel] = []
            for _ in 0..<3 {
                idle.append(try await HostileClients.openAfterOneRequest(port: broker.port))
            }
            // The third connection took the last slot and closed the first, the longest idle.
            try await HostileClients.waitUntilClosed([idle[0]], within: .seconds(30))
            #expect(idle[1].isActive && idle[2].isActive)
            // A new client is served, and makes room in turn by closing the next longest idle.
            _ = try await Self.probeHealthz(port: broker.port)
            try await HostileClients.waitUntilClosed([idle[1]], within: .seconds(30))
            #expect(idle[2].isActive)
            #expect(broker.logs.text.contains("Closing the longest-idle connection to make room"))
            for channel in idle { channel.close(promise: nil) }
        }
    }

    /// One `GET /healthz` on a new connection; fails if no 200 arrives within 30 s.
    static func probeHealthz(port: Int) async throws -> Duration {
        let started = ContinuousClock.now
        let response = try #require(try await Curl(maxTimeSeconds: 30).run("http://127.0.0.1:\(port)/healthz").first)
        #expect(response.status == 200, "exit \(response.exitCode)")
        return ContinuousClock.now - started
    }
}

/// Loopback connections that misbehave in one of a few ways, opened with SwiftNIO.
enum HostileClients {
    enum Behaviour: Sendable {
        /// Connect and send nothing.
        case silence
        /// Send a request line, then one more header line every 500 ms, never ending the headers.
        case slowloris
        /// Send complete headers announcing `bytes` of body without a token, then all but the last byte.
        case unfinishedUpload(bytes: Int)
    }

    /// The attackers' own event loop, so that thousands of sockets do not slow the loops other
    /// tests in this process share.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Opens `count` connections to 127.0.0.1:`port`, 250 at a time, each behaving as `behaviour`
    /// until the server closes it. Connections the server refuses outright are not returned.
    static func open(_ count: Int, port: Int, then behaviour: Behaviour) async throws -> [any Channel] {
        var channels: [any Channel] = []
        for start in stride(from: 0, to: count, by: 250) {
            try await withThrowingTaskGroup(of: (any Channel)?.self) { group in
                for _ in start..<min(count, start + 250) {
                    group.addTask {
                        guard let channel = try? await Self.connect(port: port, handler: Discard()) else { return nil }
                        Self.behave(behaviour, on: channel)
                        return channel
                    }
                }
                for try await channel in group {
                    if let channel { channels.append(channel) }
                }
            }
        }
        return channels
    }

    /// A loopback connection to `port` whose inbound side is `handler`.
    private static func connect(port: Int, handler: some ChannelInboundHandler & Sendable) async throws -> any Channel {
        try await ClientBootstrap(group: Self.group)
            .connectTimeout(.seconds(60))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Opens a connection, sends one `GET /healthz` and returns once the answer has begun to arrive,
    /// leaving the connection open and idle.
    static func openAfterOneRequest(port: Int) async throws -> any Channel {
        let answered = Self.group.next().makePromise(of: Void.self)
        let channel = try await Self.connect(port: port, handler: FirstReply(answered))
        try await channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        try await answered.futureResult.get()
        return channel
    }

    /// Waits until the server has closed every one of `channels`.
    static func waitUntilClosed(_ channels: [any Channel], within limit: Duration) async throws {
        let started = ContinuousClock.now
        while true {
            let open = channels.filter(\.isActive).count
            if open == 0 { return }
            guard ContinuousClock.now - started < limit else {
                Issue.record("\(open) of \(channels.count) connections still open after \(limit)")
                for channel in channels { channel.close(promise: nil) }
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private static func behave(_ behaviour: Behaviour, on channel: any Channel) {
        switch behaviour {
        case .silence:
            break
        case .slowloris:
            channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"), promise: nil)
            let trickle = channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { _ in
                channel.writeAndFlush(ByteBuffer(string: "X-Slow: 1\r\n"), promise: nil)
            }
            channel.closeFuture.whenComplete { _ in trickle.cancel() }
        case .unfinishedUpload(let bytes):
            let head = "POST /v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes)\r\n\r\n"
            channel.write(ByteBuffer(string: head), promise: nil)
            channel.writeAndFlush(Self.body(bytes - 1), promise: nil)
        }
    }

    /// One shared buffer of spaces per size, so 1,000 uploads do not hold 1,000 copies.
    private static func body(_ bytes: Int) -> ByteBuffer {
        Self.bodies.withLock { bodies in
            if let body = bodies[bytes] { return body }
            let body = ByteBuffer(repeating: UInt8(ascii: " "), count: bytes)
            bodies[bytes] = body
            return body
        }
    }

    private static let bodies = Mutex<[Int: ByteBuffer]>([:])

    /// Fulfils a promise when the server first sends something, and drops what it sends.
    private final class FirstReply: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<Void>
        init(_ promise: EventLoopPromise<Void>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { self.promise.succeed() }
        func channelInactive(context: ChannelHandlerContext) { self.promise.fail(ChannelError.eof) }
    }

    /// Reads and drops whatever the server sends.
    private final class Discard: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
