public import Logging
public import ServiceLifecycle

/// The agent as a `Service`: the ``PodController``, run directly (node mode) or only while this
/// replica leads (cluster mode with a ``LeaderElector``), until graceful shutdown.
///
/// ```swift
/// let agent = AgentService(controller: controller, elector: elector, logger: logger)
/// let group = ServiceGroup(services: [kubernetes, agent], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct AgentService: Service {
    public let controller: PodController
    /// Present in cluster mode: the controller runs only while this replica holds the Lease.
    public let elector: LeaderElector?
    private let logger: Logger

    public init(controller: PodController, elector: LeaderElector?, logger: Logger) {
        self.controller = controller
        self.elector = elector
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            if let elector {
                try await elector.run { try await controller.run() }
            } else {
                try await controller.run()
            }
        }
        logger.info("the agent stopped")
    }
}
