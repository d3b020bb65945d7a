import ArgumentParser
import AsyncHTTPClient
import EIPAgent
import EIPCore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `eip-agent`: gives pods the EIPs their annotations ask for, through the broker. Every option
/// with an `EIPAGENT_*` variable also reads it from the environment.
@main
struct EIPAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eip-agent",
        abstract: "Kubernetes agent of the EIP broker: pod annotations to leases, PodEIPs and readiness gates.",
        subcommands: [AdoptCommand.self]
    )

    @Option(help: "The broker's base URL, such as https://eip-broker:8443 [env: EIPAGENT_BROKER_URL]")
    var brokerURL: String?

    @Option(help: "File holding the cluster token, re-read when it changes [env: EIPAGENT_BROKER_TOKEN holds the token itself]")
    var brokerTokenFile: String?

    @Option(help: "The cluster's name (informational: the token decides it) [env: EIPAGENT_CLUSTER]")
    var cluster: String?

    @Option(help: "Broker pool for pods without eip-broker.io/pool [env: EIPAGENT_DEFAULT_POOL]")
    var defaultPool: String?

    @Option(
        help: """
            Controller kinds besides StatefulSet whose pods keep TTL and Never, comma-separated (ACK's \
            customStatefulWorkloadKinds); other pods follow their lifecycle [env: EIPAGENT_STATEFUL_WORKLOAD_KINDS]
            """)
    var statefulWorkloadKinds: String?

    @Flag(help: "Let a pod take a static EIP that is bound to something else (Terway's allow_eip_rob)")
    var allowEipRob = false

    @Option(help: "Node mode: watch only this node's pods (no heartbeat is sent) [env: NODE_NAME is not read implicitly]")
    var nodeName: String?

    @Flag(help: "Cluster mode: watch every pod, acting only while holding the leader election Lease")
    var leaderElect = false

    @Option(help: "Namespace of the leader election Lease [env: POD_NAMESPACE] (default: default)")
    var leaderElectionNamespace: String?

    @Option(help: "Name of the leader election Lease (node mode: of the dead-node sweep's, with -dead-nodes appended)")
    var leaderElectionName = "eip-agent"

    @Option(
        help: """
            Node mode: seconds a node may stay NotReady before one elected agent applies the release strategy of its \
            pods being deleted (a deleted node's pods at once); 0 turns the sweep off
            """)
    var deadNodePeriod = 300

    @Option(help: "This replica's identity in the election [env: POD_NAME] (default: the host name)")
    var leaderElectionIdentity: String?

    @Option(help: "A kubeconfig file (default: KUBECONFIG, else the in-cluster service account)")
    var kubeconfig: String?

    @Option(help: "Pods reconciled at once")
    var concurrency = 8

    @Option(help: "Seconds between full resyncs")
    var resyncInterval = 300

    @Option(help: "Seconds between heartbeats (cluster mode)")
    var heartbeatInterval = 60

    @Option(help: "trace, debug, info, notice, warning, error or critical [env: EIPAGENT_LOG_LEVEL] (default: info)")
    var logLevel: String?

    func validate() throws {
        if nodeName != nil && leaderElect { throw ValidationError("use either --node-name (node mode) or --leader-elect (cluster mode)") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if resyncInterval < 1 || heartbeatInterval < 1 { throw ValidationError("intervals must be at least 1 second") }
        if deadNodePeriod < 0 { throw ValidationError("--dead-node-period must be 0 (off) or a number of seconds") }
    }

    func run() async throws {
        let setting = CommandSettings().value

        var logger = Logger(label: "eip-agent")
        let levelText = setting(logLevel, "EIPAGENT_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else { throw ValidationError("unknown log level '\(levelText)'") }
        logger.logLevel = level

        guard let urlText = setting(brokerURL, "EIPAGENT_BROKER_URL"), let url = URL(string: urlText), url.scheme != nil else {
            throw ValidationError("--broker-url (or EIPAGENT_BROKER_URL) must be the broker's URL")
        }
        let tokens: BrokerTokenSource
        if let brokerTokenFile {
            tokens = .file(brokerTokenFile)
        } else if let token = setting(nil, "EIPAGENT_BROKER_TOKEN") {
            tokens = .value(token)
        } else {
            throw ValidationError("give the cluster token with --broker-token-file or EIPAGENT_BROKER_TOKEN")
        }
        _ = try tokens.token()

        let kubernetesConfiguration = try kubeconfig.map { try KubernetesConfiguration.kubeconfig(atPath: $0) } ?? .automatic()
        let kubernetes = try KubernetesClient(configuration: kubernetesConfiguration, logger: logger)
        let scope: AgentScope = nodeName.map { .node($0) } ?? .cluster
        func election(_ leaseName: String) -> LeaderElectionConfiguration {
            LeaderElectionConfiguration(
                leaseName: leaseName, namespace: setting(leaderElectionNamespace, "POD_NAMESPACE") ?? "default",
                identity: setting(leaderElectionIdentity, "POD_NAME") ?? ProcessInfo.processInfo.hostName
            )
        }
        let deadNodes =
            nodeName != nil && deadNodePeriod > 0
            ? DeadNodeConfiguration(
                election: election(leaderElectionName + "-dead-nodes"), period: .seconds(deadNodePeriod),
                interval: .seconds(min(60, resyncInterval))
            ) : nil
        let configuration = AgentConfiguration(
            brokerURL: url, tokens: tokens,
            controller: PodControllerConfiguration(
                cluster: setting(cluster, "EIPAGENT_CLUSTER"), defaultPool: setting(defaultPool, "EIPAGENT_DEFAULT_POOL"),
                scope: scope, concurrency: concurrency, resyncInterval: .seconds(resyncInterval),
                heartbeatInterval: .seconds(heartbeatInterval), allowRob: allowEipRob,
                statefulWorkloadKinds: StatefulWorkloadKinds(
                    adding: setting(statefulWorkloadKinds, "EIPAGENT_STATEFUL_WORKLOAD_KINDS")?.split(separator: ",").map(String.init) ?? []
                )
            ),
            leaderElection: leaderElect ? election(leaderElectionName) : nil, deadNodes: deadNodes
        )
        logger.info(
            "eip-agent starting",
            metadata: ["broker": "\(url)", "token": "\(tokens)", "scope": "\(scope)", "kubernetes": "\(kubernetesConfiguration)"]
        )
        let brokerHTTP = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BrokerClient.httpConfiguration)
        let agent = buildAgent(configuration: configuration, kubernetes: kubernetes, httpClient: brokerHTTP, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [kubernetes, agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await brokerHTTP.shutdown()
            throw error
        }
        try await brokerHTTP.shutdown()
    }
}
