import EIPAPI
import EIPCore
import EIPStore

extension BrokerAPI {
    func listClusters(_ input: Operations.ListClusters.Input) async throws -> Operations.ListClusters.Output {
        _ = try RequestScope.admin()
        let clusters = try await Page.all { try await store.clusters(pageSize: 1000, pageToken: $0) }
        return .ok(.init(body: .json(.init(items: clusters.map(Components.Schemas.Cluster.init)))))
    }

    func getCluster(_ input: Operations.GetCluster.Input) async throws -> Operations.GetCluster.Output {
        let caller = try RequestScope.caller()
        let name = input.path.name
        guard caller.clusterScope == nil || caller.clusterScope == name, let cluster = try await store.cluster(named: name) else {
            throw BrokerError.notFound("cluster", name)
        }
        return .ok(.init(body: .json(.init(cluster))))
    }

    func createCluster(_ input: Operations.CreateCluster.Input) async throws -> Operations.CreateCluster.Output {
        let caller = try RequestScope.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isDNSLabel(body.name) {
            violations.append(.init(field: "name", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got '\(body.name.prefix(80))')"))
        }
        if !(0...1_000_000).contains(body.quota) {
            violations.append(.init(field: "quota", rule: "must be between 0 and 1000000 (got \(body.quota))"))
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let cluster = try await store.createCluster(name: body.name, quota: body.quota, actor: caller)
        return .created(.init(body: .json(.init(cluster))))
    }

    func updateCluster(_ input: Operations.UpdateCluster.Input) async throws -> Operations.UpdateCluster.Output {
        let caller = try RequestScope.admin()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        if let quota = body.quota, !(0...1_000_000).contains(quota) {
            throw BrokerError.invalid("quota", "must be between 0 and 1000000 (got \(quota))")
        }
        let cluster = try await store.updateCluster(name: input.path.name, quota: body.quota, actor: caller)
        return .ok(.init(body: .json(.init(cluster))))
    }

    func deleteCluster(_ input: Operations.DeleteCluster.Input) async throws -> Operations.DeleteCluster.Output {
        let caller = try RequestScope.admin()
        try await store.deleteCluster(name: input.path.name, actor: caller)
        return .noContent(.init())
    }

    func createClusterToken(_ input: Operations.CreateClusterToken.Input) async throws -> Operations.CreateClusterToken.Output {
        let caller = try RequestScope.admin()
        let token = TokenHasher.newToken()
        try await store.addToken(id: BrokerStore.newTokenID(), hash: TokenHasher.hash(token), cluster: input.path.name, actor: caller)
        return .created(.init(body: .json(.init(cluster: input.path.name, token: token, createdAt: Timestamp.now.date))))
    }

    func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        let caller = try RequestScope.caller()
        let page = try await store.events(
            subjectID: input.query.subjectId, cluster: caller.clusterScope, pageSize: try QueryRules.pageSize(input.query.pageSize), pageToken: input.query.pageToken
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Event.init), nextPageToken: page.nextPageToken))))
    }
}
