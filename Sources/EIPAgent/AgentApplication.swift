public import AsyncHTTPClient
public import EIPCore
public import Foundation
public import Logging

/// What one `eip-agent` runs with: the broker and its cluster token, what the pod controller
/// does, and the leader election of cluster mode.
public struct AgentConfiguration: Sendable {
    /// The broker's base URL, such as `https://eip-broker:8443`.
    public var brokerURL: URL
    public var tokens: BrokerTokenSource
    public var controller: PodControllerConfiguration
    /// Cluster mode's election; `nil` runs the controller unconditionally (node mode, or a
    /// single replica).
    public var leaderElection: LeaderElectionConfiguration?
    /// Node mode: how one elected agent applies the release strategy of the pods of dead nodes
    /// (see ``DeadNodeSweeper``); `nil` leaves them until their node's agent returns.
    public var deadNodes: DeadNodeConfiguration?

    public init(
        brokerURL: URL, tokens: BrokerTokenSource, controller: PodControllerConfiguration, leaderElection: LeaderElectionConfiguration?,
        deadNodes: DeadNodeConfiguration? = nil
    ) {
        self.brokerURL = brokerURL
        self.tokens = tokens
        self.controller = controller
        self.leaderElection = leaderElection
        self.deadNodes = deadNodes
    }
}

/// The settings of node mode's dead-node sweep.
public struct DeadNodeConfiguration: Sendable, Hashable {
    /// The election among the node agents (its own Lease, such as `eip-agent-dead-nodes`).
    public var election: LeaderElectionConfiguration
    /// How long a node stays not `Ready` before its pods' EIPs get their strategy applied (a
    /// node gone from the API is dead at once). Kubernetes evicts after 5 minutes by default.
    public var period: Duration
    /// The wait between sweeps.
    public var interval: Duration

    public init(election: LeaderElectionConfiguration, period: Duration = .seconds(300), interval: Duration = .seconds(60)) {
        self.election = election
        self.period = period
        self.interval = interval
    }
}

/// The agent on `kubernetes`: the pod controller talking to the broker, under the leader
/// election when one is configured (and in node mode the dead-node sweep), as one service. Run it after `kubernetes` (a service itself)
/// in one `ServiceGroup`; tests run it against the fake API server and a test broker.
///
/// ```swift
/// let kubernetes = try KubernetesClient(configuration: .automatic(), logger: logger)
/// let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BrokerClient.httpConfiguration)
/// let agent = buildAgent(configuration: configuration, kubernetes: kubernetes, httpClient: http, logger: logger)
/// try await ServiceGroup(services: [kubernetes, agent], logger: logger).run()
/// try await http.shutdown()
/// ```
/// - Parameters:
///   - httpClient: The client for the broker's API, configured as
///     ``BrokerClient/httpConfiguration``; the caller shuts it down.
///   - clock: What retries, resyncs, heartbeats and leader election terms are timed on (the
///     continuous clock unless a test moves one by hand).
public func buildAgent(
    configuration: AgentConfiguration, kubernetes: KubernetesClient, httpClient: HTTPClient, clock: ElapsedClock = .continuous,
    logger: Logger
) -> AgentService {
    let controller = PodController(
        client: kubernetes, broker: BrokerClient(serverURL: configuration.brokerURL, tokens: configuration.tokens, httpClient: httpClient),
        configuration: configuration.controller, clock: clock, logger: logger
    )
    let elector = configuration.leaderElection.map { LeaderElector(client: kubernetes, configuration: $0, clock: clock, logger: logger) }
    var sweeper: DeadNodeSweeper?
    if case .node = configuration.controller.scope, let deadNodes = configuration.deadNodes {
        sweeper = DeadNodeSweeper(
            client: kubernetes, elector: LeaderElector(client: kubernetes, configuration: deadNodes.election, clock: clock, logger: logger),
            reconciler: controller.reconciler, period: deadNodes.period, interval: deadNodes.interval, clock: clock, logger: logger
        )
    }
    return AgentService(controller: controller, elector: elector, deadNodeSweeper: sweeper, logger: logger)
}
