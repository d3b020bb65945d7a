import EIPCloud
import EIPCloudSimulated
import EIPCore
import EIPSQL
import Logging

/// The cloud accounts of the configuration, by name, ready to call.
struct CloudAccounts: Sendable {
    private let providers: [String: any CloudProvider]
    private let regions: [String: String]
    private let simulated: Set<String>
    /// Where the simulated accounts keep their state: the broker's own database.
    private let database: any SQLDatabase
    /// The account a cluster or pool is placed in when it names none: the first configured.
    let defaultAccount: String

    init(configuration: [CloudAccountConfiguration], database: any SQLDatabase, logger: Logger) {
        var providers: [String: any CloudProvider] = [:]
        var regions: [String: String] = [:]
        var simulated: Set<String> = []
        for account in configuration {
            if account.isSimulated { simulated.insert(account.name) }
            switch account.kind {
            case .simulated(let latency, let settleDelay, let vpcs):
                providers[account.name] = SimulatedCloud(
                    account: account.name, database: database, latency: latency, settleDelay: settleDelay, vpcs: vpcs)
            case .alibaba(let alibaba):
                providers[account.name] = AlibabaCloudProvider(configuration: alibaba, logger: logger)
            }
            regions[account.name] = account.defaultRegion
        }
        self.providers = providers
        self.regions = regions
        self.simulated = simulated
        self.database = database
        self.defaultAccount = configuration.first?.name ?? "sim"
    }

    /// Makes the simulated accounts' tables, when there are any: run once at start, before
    /// the first call.
    func prepare() async throws {
        guard !simulated.isEmpty else { return }
        try await SchemaMigrations.simulatedCloud.apply(to: database)
    }

    /// The provider of an account; throws when the account is not configured.
    func provider(_ account: String) throws -> any CloudProvider {
        guard let provider = providers[account] else {
            throw BrokerError(.unavailable, "cloud account '\(account)' is not configured on this broker")
        }
        return provider
    }

    func contains(_ account: String) -> Bool { providers[account] != nil }

    var names: [String] { providers.keys.sorted() }

    /// Whether the account is a simulated cloud, where a cluster may name no VPC.
    func isSimulated(_ account: String) -> Bool { simulated.contains(account) }

    func defaultRegion(of account: String) -> String { regions[account] ?? "cn-hangzhou" }
}
