import EIPAPI
import EIPCore
import EIPStore

extension BrokerAPI {
    func listClusters(_ input: Operations.ListClusters.Input) async throws -> Operations.ListClusters.Output {
        _ = try BrokerRequestContext.admin()
        let clusters = try await Page.all { try await store.clusters(pageSize: 1000, pageToken: $0) }
        return .ok(.init(body: .json(.init(items: clusters.map(Components.Schemas.Cluster.init)))))
    }

    func getCluster(_ input: Operations.GetCluster.Input) async throws -> Operations.GetCluster.Output {
        let caller = try BrokerRequestContext.caller()
        let name = input.path.name
        guard caller.clusterScope == nil || caller.clusterScope == name, let cluster = try await store.cluster(named: name) else {
            throw BrokerError.notFound("cluster", name)
        }
        return .ok(.init(body: .json(.init(cluster))))
    }

    func createCluster(_ input: Operations.CreateCluster.Input) async throws -> Operations.CreateCluster.Output {
        let caller = try BrokerRequestContext.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isDNSLabel(body.name) {
            violations.append(
                .init(field: "name", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got '\(body.name.prefix(80))')"))
        }
        if !(0...1_000_000).contains(body.quota) {
            violations.append(.init(field: "quota", rule: "must be between 0 and 1000000 (got \(body.quota))"))
        }
        let provider = body.provider ?? accounts.defaultAccount
        violations += providerViolations(provider)
        let region = body.region ?? accounts.defaultRegion(of: provider)
        if !Validation.isDNSLabel(region) {
            violations.append(.init(field: "region", rule: "must be a region id such as cn-hangzhou (got '\(region.prefix(80))')"))
        }
        let vpcIDs = body.vpcIds ?? []
        violations += Self.vpcViolations(vpcIDs)
        if vpcIDs.isEmpty, accounts.contains(provider), !accounts.isSimulated(provider) {
            violations.append(
                .init(
                    field: "vpcIds", rule: "must list the VPCs of the cluster's ENIs: account '\(provider)' is a real cloud",
                    isContextual: true))
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let cluster = try await store.createCluster(
            name: body.name, quota: body.quota, location: ClusterLocation(provider: provider, region: region, vpcIDs: vpcIDs),
            allowRob: body.allowRob ?? false, actor: caller
        )
        return .created(.init(body: .json(.init(cluster))))
    }

    func updateCluster(_ input: Operations.UpdateCluster.Input) async throws -> Operations.UpdateCluster.Output {
        let caller = try BrokerRequestContext.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        var violations: [BrokerError.FieldViolation] = []
        if let quota = body.quota, !(0...1_000_000).contains(quota) {
            violations.append(.init(field: "quota", rule: "must be between 0 and 1000000 (got \(quota))"))
        }
        if let vpcIDs = body.vpcIds {
            violations += Self.vpcViolations(vpcIDs)
            if vpcIDs.isEmpty, let existing = try await store.cluster(named: input.path.name),
                !accounts.isSimulated(existing.location.provider)
            {
                violations.append(
                    .init(field: "vpcIds", rule: "must list at least one VPC: account '\(existing.location.provider)' is a real cloud"))
            }
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let cluster = try await store.updateCluster(
            name: input.path.name, quota: body.quota, vpcIDs: body.vpcIds, allowRob: body.allowRob, actor: caller)
        return .ok(.init(body: .json(.init(cluster))))
    }

    func deleteCluster(_ input: Operations.DeleteCluster.Input) async throws -> Operations.DeleteCluster.Output {
        let caller = try BrokerRequestContext.admin()
        try await store.deleteCluster(name: input.path.name, actor: caller)
        return .noContent(.init())
    }

    func createClusterToken(_ input: Operations.CreateClusterToken.Input) async throws -> Operations.CreateClusterToken.Output {
        let caller = try BrokerRequestContext.admin()
        let token = TokenHasher.newToken()
        try await store.addToken(id: BrokerStore.newTokenID(), hash: TokenHasher.hash(token), cluster: input.path.name, actor: caller)
        return .created(.init(body: .json(.init(cluster: input.path.name, token: token, createdAt: store.clock.timestamp.date))))
    }

    /// The rules of a `vpcIds` list: at most 16 distinct `vpc-` ids.
    static func vpcViolations(_ vpcIDs: [String]) -> [BrokerError.FieldViolation] {
        var violations: [BrokerError.FieldViolation] = []
        if vpcIDs.count > 16 { violations.append(.init(field: "vpcIds", rule: "must list at most 16 VPCs (got \(vpcIDs.count))")) }
        if Set(vpcIDs).count != vpcIDs.count { violations.append(.init(field: "vpcIds", rule: "must not list a VPC twice")) }
        for (index, id) in vpcIDs.prefix(16).enumerated() where !Validation.isCloudID(id, prefix: "vpc-") {
            violations.append(.init(field: "vpcIds[\(index)]", rule: "must look like vpc-xxxx (got '\(id.prefix(80))')"))
        }
        return violations
    }

    func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        let caller = try BrokerRequestContext.caller()
        if let subject = input.query.subjectId, subject.unicodeScalars.count > 253 {
            throw BrokerError.invalid("subjectId", "must be at most 253 characters (got \(subject.unicodeScalars.count))")
        }
        let page = try await store.events(
            subjectID: input.query.subjectId, clusterID: caller.clusterScope == nil ? nil : BrokerRequestContext.clusterID,
            pageSize: try QueryRules.pageSize(input.query.pageSize), pageToken: input.query.pageToken
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Event.init), nextPageToken: page.nextPageToken))))
    }
}
