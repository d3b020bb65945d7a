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

    public init(
        brokerURL: URL, tokens: BrokerTokenSource, controller: PodControllerConfiguration, leaderElection: LeaderElectionConfiguration?
    ) {
        self.brokerURL = brokerURL
        self.tokens = tokens
        self.controller = controller
        self.leaderElection = leaderElection
    }
}

/// The agent on `kubernetes`: the pod controller talking to the broker, under the leader
/// election when one is configured, as one service. Run it after `kubernetes` (a service itself)
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
    return AgentService(controller: controller, elector: elector, logger: logger)
}
