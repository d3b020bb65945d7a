import EIPCore
import EIPStore

/// First-start chores: the admin token and the quickstart's demo cluster and pool.
enum Bootstrap {
    /// Stores the configured admin token's hash, or makes a token when none is stored yet.
    /// - Returns: The generated token, to be shown once; `nil` otherwise.
    static func adminToken(configured: String?, store: BrokerStore) async throws -> String? {
        if let configured {
            guard configured.count >= 16 else {
                throw BrokerError.invalid("admin-token", "must be at least 16 characters")
            }
            try await store.setBootstrapAdminToken(hash: TokenHasher.hash(configured))
            return nil
        }
        guard try await !store.hasAdminToken() else { return nil }
        let token = TokenHasher.newToken()
        try await store.setBootstrapAdminToken(hash: TokenHasher.hash(token))
        return token
    }

    /// Creates the `demo` cluster (quota 100) and pool (20 addresses, 2 to 5 kept warm) when the
    /// books have no pool yet. - Returns: whether it did.
    static func seedDemo(store: BrokerStore, accounts: CloudAccounts) async throws -> Bool {
        guard try await store.pools(visibleTo: .admin, pageSize: 1, pageToken: nil).items.isEmpty else { return false }
        let account = accounts.defaultAccount
        if try await store.cluster(named: "demo") == nil {
            // The demo cluster lives in the default account; on a real cloud it needs VPCs set
            // (`PATCH /v1/clusters/demo`) before its pods can be associated.
            let location = ClusterLocation(provider: account, region: accounts.defaultRegion(of: account))
            _ = try await store.createCluster(name: "demo", quota: 100, location: location, actor: .admin)
        }
        _ = try await store.createPool(
            name: "demo",
            settings: PoolSettings(
                provider: account, region: accounts.defaultRegion(of: account),
                defaults: EIPParameters(bandwidth: 5, internetChargeType: "PayByTraffic", instanceChargeType: "PostPaid", isp: "BGP"),
                bandwidthPackages: [], warm: WarmRange(min: 2, max: 5), maxSize: 20, clusters: nil
            ),
            actor: .admin
        )
        return true
    }
}
