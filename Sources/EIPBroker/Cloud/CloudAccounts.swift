import EIPCloud
import EIPCore
import EIPStore
import Logging

/// The cloud accounts of the configuration, by name, ready to call.
struct CloudAccounts: Sendable {
    private let providers: [String: any CloudProvider]
    private let regions: [String: String]
    /// The account static EIPs are looked up in: the first configured.
    let defaultAccount: String

    init(configuration: [CloudAccountConfiguration], database: any SQLDatabase, logger: Logger) {
        var providers: [String: any CloudProvider] = [:]
        var regions: [String: String] = [:]
        for account in configuration {
            switch account.kind {
            case .simulated(let latency, let settleDelay):
                providers[account.name] = SimulatedCloud(account: account.name, database: database, latency: latency, settleDelay: settleDelay)
            case .alibaba(let alibaba):
                providers[account.name] = AlibabaCloudProvider(configuration: alibaba, logger: logger)
            }
            regions[account.name] = account.defaultRegion
        }
        self.providers = providers
        self.regions = regions
        self.defaultAccount = configuration.first?.name ?? "sim"
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

    func defaultRegion(of account: String) -> String { regions[account] ?? "cn-hangzhou" }
}
