public import Logging
public import ServiceLifecycle

/// The agent as a `Service`: the ``PodController``, run directly (node mode) or only while this
/// replica leads (cluster mode with a ``LeaderElector``), and beside it node mode's
/// ``DeadNodeSweeper`` when there is one, until graceful shutdown.
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
    /// Node mode: the sweep of the pods of dead nodes.
    public let deadNodeSweeper: DeadNodeSweeper?
    private let logger: Logger

    public init(controller: PodController, elector: LeaderElector?, deadNodeSweeper: DeadNodeSweeper? = nil, logger: Logger) {
        self.controller = controller
        self.elector = elector
        self.deadNodeSweeper = deadNodeSweeper
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let deadNodeSweeper { group.addTask { try await deadNodeSweeper.run() } }
                group.addTask {
                    if let elector {
                        try await elector.run { try await controller.run() }
                    } else {
                        try await controller.run()
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
        logger.info("the agent stopped")
    }
}
