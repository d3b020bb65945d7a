import ArgumentParser
import AsyncHTTPClient
import EIPAgent
import EIPCore
import Foundation
import Logging

/// `eip-agent adopt`: takes over the PodEIPs of ack-extend-network-controller (or Terway) once,
/// before the agent is installed: each EIP becomes its pod's lease in the broker, unchanged and
/// still bound. Prints one line per PodEIP; exits 1 when any was refused.
struct AdoptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Take over the EIPs of ACK's PodEIPs: each becomes its pod's broker lease, keeping its address and association.",
        discussion: """
            Run it with ACK's controller stopped (scaled to zero), then install the agent. It needs an admin token: \
            importing is an admin's act. Lines read plan/adopted/skipped/FAILED, then the pod, the EIP, its type and \
            release strategy. Run it again to pick up what was left.
            """
    )

    @Option(help: "The broker's base URL [env: EIPAGENT_BROKER_URL]")
    var brokerURL: String?

    @Option(help: "File holding an admin token [env: EIPAGENT_ADMIN_TOKEN holds the token itself]")
    var adminTokenFile: String?

    @Option(help: "The cluster's name in the broker")
    var cluster: String

    @Option(help: "The broker pool that Auto EIPs join")
    var pool: String

    @Option(help: "A kubeconfig file (default: KUBECONFIG, else the in-cluster service account)")
    var kubeconfig: String?

    @Flag(help: "Only list what would be adopted")
    var dryRun = false

    func run() async throws {
        let setting = CommandSettings().value
        var logger = Logger(label: "eip-agent-adopt")
        logger.logLevel = .warning
        guard let urlText = setting(brokerURL, "EIPAGENT_BROKER_URL"), let url = URL(string: urlText), url.scheme != nil else {
            throw ValidationError("--broker-url (or EIPAGENT_BROKER_URL) must be the broker's URL")
        }
        let tokens: BrokerTokenSource
        if let adminTokenFile {
            tokens = .file(adminTokenFile)
        } else if let token = setting(nil, "EIPAGENT_ADMIN_TOKEN") {
            tokens = .value(token)
        } else {
            throw ValidationError("give an admin token with --admin-token-file or EIPAGENT_ADMIN_TOKEN")
        }
        _ = try tokens.token()
        let kubernetes = try KubernetesClient(
            configuration: try kubeconfig.map { try KubernetesConfiguration.kubeconfig(atPath: $0) } ?? .automatic(), logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BrokerClient.httpConfiguration)
        let entries: [ACKAdoption.Entry]
        do {
            let adoption = ACKAdoption(
                client: kubernetes, broker: BrokerClient(serverURL: url, tokens: tokens, httpClient: http), cluster: cluster, pool: pool,
                logger: logger)
            entries = try await adoption.run(dryRun: dryRun)
        } catch {
            try? await http.shutdown()
            try? await kubernetes.shutdown()
            throw error
        }
        try await http.shutdown()
        try await kubernetes.shutdown()
        for entry in entries { print(entry) }
        if entries.contains(where: { if case .failed = $0.outcome { true } else { false } }) { throw ExitCode(1) }
    }
}
