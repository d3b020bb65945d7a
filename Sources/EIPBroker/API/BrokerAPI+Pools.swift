import EIPAPI
import EIPCore
import EIPStore

extension BrokerAPI {
    func listPools(_ input: Operations.ListPools.Input) async throws -> Operations.ListPools.Output {
        let caller = try BrokerRequestContext.caller()
        let pools = try await Page.all { try await store.pools(visibleTo: caller, pageSize: 1000, pageToken: $0) }
        return .ok(.init(body: .json(.init(items: pools.map(Components.Schemas.Pool.init)))))
    }

    func getPool(_ input: Operations.GetPool.Input) async throws -> Operations.GetPool.Output {
        let caller = try BrokerRequestContext.caller()
        guard let pool = try await store.pool(named: input.path.name), caller.clusterScope.map(pool.admits(cluster:)) ?? true else {
            throw BrokerError.notFound("pool", input.path.name)
        }
        return .ok(.init(body: .json(.init(pool))))
    }

    func createPool(_ input: Operations.CreatePool.Input) async throws -> Operations.CreatePool.Output {
        let caller = try BrokerRequestContext.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isDNSLabel(body.name) {
            violations.append(
                .init(field: "name", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got '\(body.name.prefix(80))')"))
        }
        let provider = body.provider ?? accounts.defaultAccount
        violations += providerViolations(provider)
        let region = body.region ?? accounts.defaultRegion(of: provider)
        let defaults = EIPParameters(
            bandwidth: body.bandwidth, internetChargeType: body.internetChargeType, instanceChargeType: body.instanceChargeType,
            isp: body.isp,
            publicIpAddressPoolId: body.publicIpAddressPoolId, resourceGroupId: body.resourceGroupId
        )
        let settings = PoolSettings(
            provider: provider, region: region, defaults: defaults, bandwidthPackages: body.bandwidthPackages ?? [],
            warm: WarmRange(min: body.warm?.min ?? 0, max: body.warm?.max ?? 0), maxSize: body.maxSize,
            clusters: body.clusters.flatMap { $0.isEmpty ? nil : $0 }
        )
        violations += Self.violations(of: settings)
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let pool = try await store.createPool(name: body.name, settings: settings, actor: caller)
        signal.notify()
        return .created(.init(body: .json(.init(pool))))
    }

    func updatePool(_ input: Operations.UpdatePool.Input) async throws -> Operations.UpdatePool.Output {
        let caller = try BrokerRequestContext.admin()
        guard case .json(let patch) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        let pool = try await store.updatePool(name: input.path.name, actor: caller) { settings in
            /// An empty string clears a default.
            func text(_ value: String?, _ current: String?) -> String? {
                guard let value else { return current }
                return value.isEmpty ? nil : value
            }
            if let maxSize = patch.maxSize { settings.maxSize = maxSize }
            if let warm = patch.warm { settings.warm = WarmRange(min: warm.min, max: warm.max) }
            if let bandwidth = patch.bandwidth { settings.defaults.bandwidth = bandwidth }
            settings.defaults.internetChargeType = text(patch.internetChargeType, settings.defaults.internetChargeType)
            settings.defaults.instanceChargeType = text(patch.instanceChargeType, settings.defaults.instanceChargeType)
            settings.defaults.isp = text(patch.isp, settings.defaults.isp)
            settings.defaults.publicIpAddressPoolId = text(patch.publicIpAddressPoolId, settings.defaults.publicIpAddressPoolId)
            settings.defaults.resourceGroupId = text(patch.resourceGroupId, settings.defaults.resourceGroupId)
            if let packages = patch.bandwidthPackages { settings.bandwidthPackages = packages }
            if let clusters = patch.clusters { settings.clusters = clusters.isEmpty ? nil : clusters }
            let violations = Self.violations(of: settings)
            guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        }
        signal.notify()
        return .ok(.init(body: .json(.init(pool))))
    }

    func deletePool(_ input: Operations.DeletePool.Input) async throws -> Operations.DeletePool.Output {
        let caller = try BrokerRequestContext.admin()
        try await store.deletePool(name: input.path.name, actor: caller)
        return .noContent(.init())
    }

    /// The rules a pool's settings must keep, with the field each one names.
    static func violations(of settings: PoolSettings) -> [BrokerError.FieldViolation] {
        var violations: [BrokerError.FieldViolation] = []
        if !(1...100_000).contains(settings.maxSize) {
            violations.append(.init(field: "maxSize", rule: "must be between 1 and 100000 (got \(settings.maxSize))"))
        }
        for (field, value) in [("warm.min", settings.warm.min), ("warm.max", settings.warm.max)] where !(0...100_000).contains(value) {
            violations.append(.init(field: field, rule: "must be between 0 and 100000 (got \(value))"))
        }
        if settings.warm.min > settings.warm.max {
            violations.append(
                .init(
                    field: "warm.min", rule: "must be at most warm.max \(settings.warm.max) (got \(settings.warm.min))", isContextual: true)
            )
        }
        if settings.warm.max > settings.maxSize {
            violations.append(
                .init(field: "warm.max", rule: "must be at most maxSize \(settings.maxSize) (got \(settings.warm.max))", isContextual: true)
            )
        }
        if !Validation.isDNSLabel(settings.region) {
            violations.append(.init(field: "region", rule: "must be a region id such as cn-hangzhou (got '\(settings.region.prefix(80))')"))
        }
        violations += settings.defaults.violations()
        for (index, id) in settings.bandwidthPackages.enumerated() where !Validation.isCloudID(id, prefix: "cbwp-") {
            violations.append(.init(field: "bandwidthPackages[\(index)]", rule: "must look like cbwp-xxxx (got '\(id.prefix(80))')"))
        }
        for (index, name) in (settings.clusters ?? []).enumerated() where !Validation.isDNSLabel(name) {
            violations.append(.init(field: "clusters[\(index)]", rule: "must be a cluster name (DNS label)"))
        }
        return violations
    }
}
