import EIPAPI
import EIPCloud
import EIPCore
import EIPStore

extension BrokerAPI {
    func createLease(_ input: Operations.CreateLease.Input) async throws -> Operations.CreateLease.Output {
        let caller = try BrokerRequestContext.caller()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        let wait = try QueryRules.wait(input.query.wait, maximum: configuration.maximumWait)
        let cluster = try Self.cluster(of: caller, requested: body.cluster)
        let request = try AllocationRequest.validated(
            cluster: cluster, namespace: body.namespace, pod: body.pod, podUID: body.podUid, pool: body.pool,
            eipInstanceID: body.eipInstanceId, releaseStrategy: body.releaseStrategy,
            overrides: EIPParameters(
                bandwidth: body.bandwidth, internetChargeType: body.internetChargeType, instanceChargeType: body.instanceChargeType,
                isp: body.isp, publicIpAddressPoolId: body.publicIpAddressPoolId, resourceGroupId: body.resourceGroupId,
                name: body.name, description: body.description
            ),
            bandwidthPackageID: body.bandwidthPackageId, allowRob: body.allowRob ?? false
        )
        if case .pool(let pool, _, .some(let package)) = request.source {
            try await discoverBandwidthPackage(package, pool: pool, cluster: cluster, caller: caller)
        }
        let (lease, created) = try await store.allocate(request, actor: caller)
        signal.notify()
        let answer = Components.Schemas.Lease(try await waiter.waitUntilSettled(lease, seconds: wait))
        return created ? .created(.init(body: .json(answer))) : .ok(.init(body: .json(answer)))
    }

    func getLease(_ input: Operations.GetLease.Input) async throws -> Operations.GetLease.Output {
        .ok(.init(body: .json(.init(try await visibleLease(input.path.id)))))
    }

    func listLeases(_ input: Operations.ListLeases.Input) async throws -> Operations.ListLeases.Output {
        let caller = try BrokerRequestContext.caller()
        let query = input.query
        if let scope = caller.clusterScope, let asked = query.cluster, asked != scope {
            throw BrokerError(
                .permissionDenied, "cluster: a token of cluster '\(scope)' cannot list leases of cluster '\(asked)'",
                fieldViolations: [.init(field: "cluster", rule: "must be the token's own cluster")])
        }
        var violations: [BrokerError.FieldViolation] = []
        for (field, value) in [("cluster", query.cluster), ("namespace", query.namespace), ("pool", query.pool)] {
            if let value, !Validation.isDNSLabel(value) {
                violations.append(
                    .init(field: field, rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got '\(value.prefix(80))')"))
            }
        }
        if let ip = query.ipAddress, !Validation.isIPv4(ip) {
            violations.append(.init(field: "ipAddress", rule: "must be an IPv4 address (got '\(ip.prefix(80))')"))
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let filter = LeaseFilter(
            cluster: caller.clusterScope ?? query.cluster, namespace: query.namespace, pool: query.pool,
            phase: query.phase.flatMap { LeasePhase(rawValue: $0.rawValue) }, ipAddress: query.ipAddress
        )
        let page = try await store.leases(filter: filter, pageSize: try QueryRules.pageSize(query.pageSize), pageToken: query.pageToken)
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Lease.init), nextPageToken: page.nextPageToken))))
    }

    func associateLease(_ input: Operations.AssociateLease.Input) async throws -> Operations.AssociateLease.Output {
        let caller = try BrokerRequestContext.caller()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        let wait = try QueryRules.wait(input.query.wait, maximum: configuration.maximumWait)
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isIPv4(body.privateIpAddress) {
            violations.append(
                .init(
                    field: "privateIpAddress",
                    rule: "must be an IPv4 address such as 192.168.0.10 (got '\(body.privateIpAddress.prefix(80))')"))
        }
        if let eni = body.networkInterfaceId, !Validation.isCloudID(eni, prefix: "eni-") {
            violations.append(.init(field: "networkInterfaceId", rule: "must look like eni-xxxx (got '\(eni.prefix(80))')"))
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let eni = try await networkInterface(
            for: try await visibleLease(input.path.id), privateIPAddress: body.privateIpAddress, given: body.networkInterfaceId)
        let lease = try await store.associate(
            leaseID: input.path.id, privateIPAddress: body.privateIpAddress, networkInterfaceID: eni,
            scope: caller.clusterScope, actor: caller
        )
        return .ok(.init(body: .json(.init(try await settled(lease, wait: wait)))))
    }

    func disassociateLease(_ input: Operations.DisassociateLease.Input) async throws -> Operations.DisassociateLease.Output {
        let caller = try BrokerRequestContext.caller()
        let wait = try QueryRules.wait(input.query.wait, maximum: configuration.maximumWait)
        let lease = try await store.disassociate(leaseID: input.path.id, scope: caller.clusterScope, actor: caller)
        return .ok(.init(body: .json(.init(try await settled(lease, wait: wait)))))
    }

    func releaseLease(_ input: Operations.ReleaseLease.Input) async throws -> Operations.ReleaseLease.Output {
        let caller = try BrokerRequestContext.caller()
        let wait = try QueryRules.wait(input.query.wait, maximum: configuration.maximumWait)
        var force = false
        if case .json(let body) = input.body { force = body.force ?? false }
        let lease = try await store.release(leaseID: input.path.id, force: force, scope: caller.clusterScope, actor: caller)
        return .ok(.init(body: .json(.init(try await settled(lease, wait: wait)))))
    }

    func postHeartbeat(_ input: Operations.PostHeartbeat.Input) async throws -> Operations.PostHeartbeat.Output {
        let caller = try BrokerRequestContext.caller()
        guard case .json(let body) = input.body else { throw BrokerError.invalid("body", "must be JSON") }
        let cluster = try Self.cluster(of: caller, requested: body.cluster)
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isDNSLabel(cluster) { violations.append(.init(field: "cluster", rule: "must be a cluster name (DNS label)")) }
        for (index, pod) in body.pods.enumerated() where violations.count < 20 {
            if !Validation.isDNSLabel(pod.namespace) {
                violations.append(.init(field: "pods[\(index)].namespace", rule: "must be a DNS label"))
            }
            if !Validation.isDNSSubdomain(pod.pod) {
                violations.append(.init(field: "pods[\(index)].pod", rule: "must be a Kubernetes object name"))
            }
            if !Validation.isUID(pod.podUid) {
                violations.append(.init(field: "pods[\(index)].podUid", rule: "must be 1-128 letters, digits or '-'"))
            }
        }
        guard violations.isEmpty else { throw BrokerError.invalid(violations) }
        let outcome = try await store.heartbeat(
            cluster: cluster, pods: body.pods.map { ($0.namespace, $0.pod, $0.podUid) }, grace: configuration.heartbeatGrace, actor: caller
        )
        if !outcome.released.isEmpty || !outcome.retained.isEmpty { signal.notify() }
        return .ok(.init(body: .json(.init(cluster: cluster, seen: outcome.seen, released: outcome.released, retained: outcome.retained))))
    }

    // MARK: Helpers

    /// The cluster a call acts for: the token's own, or the one an admin names.
    static func cluster(of caller: Principal, requested: String?) throws(BrokerError) -> String {
        switch caller {
        case .cluster(let own):
            if let requested, requested != own {
                throw BrokerError(
                    .permissionDenied, "cluster: a token of cluster '\(own)' cannot act for cluster '\(requested)'",
                    fieldViolations: [.init(field: "cluster", rule: "must be the token's own cluster")])
            }
            return own
        case .admin:
            guard let requested else { throw .unprocessable("cluster", "is required when an admin token calls") }
            return requested
        }
    }

    /// A lease the caller may see; another cluster's lease is reported as missing.
    func visibleLease(_ id: String) async throws -> Lease {
        let caller = try BrokerRequestContext.caller()
        guard let lease = try await store.lease(id: id), caller.clusterScope == nil || caller.clusterScope == lease.cluster else {
            throw BrokerError.notFound("lease", id)
        }
        return lease
    }

    /// The ENI an associate binds to, found (or the given one checked) only within the VPCs of
    /// the lease's cluster, so a pod IP that another cluster's VPC also uses is never bound there.
    /// - Throws: `InvalidArgument` naming `networkInterfaceId` or `privateIpAddress` when no ENI
    ///   of the cluster's VPCs matches; cloud faults as they come (retryable, nothing changed).
    func networkInterface(for lease: Lease, privateIPAddress: String, given: String?) async throws -> String {
        guard let cluster = try await store.cluster(named: lease.cluster) else { throw BrokerError.notFound("lease", lease.id) }
        let location = cluster.location
        let cloud = try accounts.provider(location.provider)
        do {
            return try await cloud.networkInterface(
                privateIPAddress: privateIPAddress, networkInterfaceID: given, region: location.region, vpcIDs: location.vpcIDs)
        } catch let error as CloudError where error.kind == .notFound {
            let vpcs = location.vpcIDs.isEmpty ? "the cluster's VPC" : "the cluster's VPCs (\(location.vpcIDs.joined(separator: ", ")))"
            if let given, error.code != "InvalidPrivateIpAddress.NotFound" {
                throw BrokerError.unprocessable("networkInterfaceId", "must be an ENI in \(vpcs); \(given) is not")
            }
            throw BrokerError.unprocessable(
                "privateIpAddress",
                given.map { "must be held by ENI \($0) (it is not)" } ?? "must be held by an ENI in \(vpcs); none holds \(privateIPAddress)"
            )
        }
    }

    /// Wakes the reconciler and waits up to `wait` seconds for the lease to settle.
    func settled(_ lease: Lease, wait: Int) async throws -> Lease {
        signal.notify()
        return try await waiter.waitUntilSettled(lease, seconds: wait)
    }
}
