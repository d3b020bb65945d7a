import EIPAPI
import EIPCore
import EIPStore

extension BrokerAPI {
    func listBandwidthPackages(_ input: Operations.ListBandwidthPackages.Input) async throws -> Operations.ListBandwidthPackages.Output {
        _ = try BrokerRequestContext.admin()
        let packages = try await Page.all { try await store.bandwidthPackages(pageSize: 1000, pageToken: $0) }
        return .ok(.init(body: .json(.init(items: packages.map(Components.Schemas.BandwidthPackage.init)))))
    }

    func getBandwidthPackage(_ input: Operations.GetBandwidthPackage.Input) async throws -> Operations.GetBandwidthPackage.Output {
        _ = try BrokerRequestContext.admin()
        guard let package = try await store.bandwidthPackage(id: input.path.id) else {
            throw BrokerError.notFound("bandwidth package", input.path.id)
        }
        return .ok(.init(body: .json(.init(package))))
    }

    func createBandwidthPackage(_ input: Operations.CreateBandwidthPackage.Input) async throws -> Operations.CreateBandwidthPackage.Output {
        let caller = try BrokerRequestContext.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isCloudID(body.id, prefix: "cbwp-") {
            violations.append(.init(field: "id", rule: "must look like cbwp-xxxx (got '\(body.id.prefix(80))')"))
        }
        if !(1...10_000).contains(body.maxIps) {
            violations.append(.init(field: "maxIps", rule: "must be between 1 and 10000 (got \(body.maxIps))"))
        }
        let provider = body.provider ?? accounts.defaultAccount
        violations += providerViolations(provider)
        let region = body.region ?? accounts.defaultRegion(of: provider)
        if !Validation.isDNSLabel(region) { violations.append(.init(field: "region", rule: "must be a region id such as cn-hangzhou")) }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let package = try await store.createBandwidthPackage(
            BandwidthPackage(id: body.id, provider: provider, region: region, maxIPs: body.maxIps, createdAt: store.clock.timestamp),
            actor: caller
        )
        return .created(.init(body: .json(.init(package))))
    }

    func deleteBandwidthPackage(_ input: Operations.DeleteBandwidthPackage.Input) async throws -> Operations.DeleteBandwidthPackage.Output {
        let caller = try BrokerRequestContext.admin()
        try await store.deleteBandwidthPackage(id: input.path.id, actor: caller)
        return .noContent(.init())
    }
}
