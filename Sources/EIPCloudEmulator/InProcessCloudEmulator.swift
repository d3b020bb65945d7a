public import Logging
import ServiceLifecycle

/// An emulator running inside the current process, for tests: started on a free loopback port,
/// stopped with ``stop()``.
///
/// ```swift
/// var configuration = EmulatorConfiguration()
/// configuration.port = 0
/// let running = try await InProcessCloudEmulator.start(configuration: configuration, logger: logger)
/// defer { Task { await running.stop() } }
/// // call running.url with signed requests; inspect running.emulator.stats
/// ```
public final class InProcessCloudEmulator: Sendable {
    /// The handle: simulated cloud, faults, counters.
    public let emulator: CloudEmulator
    /// `http://127.0.0.1:PORT`.
    public let url: String
    /// The port it listens on.
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(emulator: CloudEmulator, url: String, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.emulator = emulator
        self.url = url
        self.port = port
        self.group = group
        self.task = task
    }

    /// Builds and starts an emulator and returns once it listens.
    /// - Parameters:
    ///   - configuration: as for ``buildEmulator(configuration:logger:onReady:)``; set `port` to 0
    ///     for a free port.
    ///   - logger: the emulator's logger.
    public static func start(configuration: EmulatorConfiguration, logger: Logger) async throws -> InProcessCloudEmulator {
        let ready = AsyncStream<CloudEmulator>.makeStream()
        let (app, emulator) = try await buildEmulator(configuration: configuration, logger: logger) { emulator in
            ready.continuation.yield(emulator)
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { ready.continuation.finish() }
            try await group.run()
        }
        var iterator = ready.stream.makeAsyncIterator()
        guard await iterator.next() != nil, let port = emulator.port, let url = emulator.url else {
            _ = try? await task.value
            throw EmulatorStartFailed()
        }
        return InProcessCloudEmulator(emulator: emulator, url: url, port: port, group: group, task: task)
    }

    /// Stops the server and closes the database.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// The emulator stopped before it listened (the port was taken, the database failed, ...).
public struct EmulatorStartFailed: Error, CustomStringConvertible {
    public var description: String { "the cloud emulator stopped before it started listening" }
}
