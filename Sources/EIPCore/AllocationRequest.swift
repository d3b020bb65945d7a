/// A validated request for an address for one pod: from a pool, or a named (static) EIP.
public struct AllocationRequest: Sendable, Hashable {
    /// Where the address comes from.
    public enum Source: Sendable, Hashable {
        /// A pool's address, allocated with the pool's defaults and these overrides.
        case pool(name: String, overrides: EIPParameters, bandwidthPackageID: String?)
        /// A given EIP the broker binds but never releases.
        case `static`(allocationID: String, allowRob: Bool)
    }

    public var cluster: String
    public var namespace: String
    public var pod: String
    public var podUID: String
    public var source: Source
    public var releaseStrategy: ReleaseStrategy

    /// Checks the raw fields of an allocate call and gathers every violation at once.
    /// - Throws: `BrokerError.invalidArgument` naming each bad field and its rule.
    public static func validated(
        cluster: String, namespace: String, pod: String, podUID: String, pool: String?, eipInstanceID: String?,
        releaseStrategy: String?, overrides: EIPParameters, bandwidthPackageID: String?, allowRob: Bool
    ) throws(BrokerError) -> AllocationRequest {
        var violations: [BrokerError.FieldViolation] = []
        if !Validation.isDNSLabel(cluster) {
            violations.append(.init(field: "cluster", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-'"))
        }
        if !Validation.isDNSLabel(namespace) {
            violations.append(
                .init(
                    field: "namespace", rule: "must be a DNS label: 1-63 lowercase letters, digits or '-' (got '\(namespace.prefix(80))')"))
        }
        if !Validation.isDNSSubdomain(pod) {
            violations.append(
                .init(
                    field: "pod",
                    rule: "must be a Kubernetes object name: at most 253 lowercase letters, digits, '-' or '.' (got '\(pod.prefix(80))')"))
        }
        if !Validation.isUID(podUID) {
            violations.append(.init(field: "podUid", rule: "must be 1-128 letters, digits or '-'"))
        }
        var strategy = ReleaseStrategy.follow
        do throws(BrokerError) {
            strategy = try ReleaseStrategy(parsing: releaseStrategy ?? "Follow")
        } catch {
            violations.append(contentsOf: error.fieldViolations)
        }
        var source: Source?
        switch (pool, eipInstanceID) {
        case (.some, .some):
            violations.append(.init(field: "eipInstanceId", rule: "give either pool or eipInstanceId, not both", isContextual: true))
        case (nil, nil):
            violations.append(.init(field: "pool", rule: "is required unless eipInstanceId names a static EIP", isContextual: true))
        case (.some(let pool), nil):
            if !Validation.isDNSLabel(pool) {
                violations.append(.init(field: "pool", rule: "must be a pool name: 1-63 lowercase letters, digits or '-'"))
            }
            violations.append(contentsOf: overrides.violations())
            if let id = bandwidthPackageID, !Validation.isCloudID(id, prefix: "cbwp-") {
                violations.append(.init(field: "bandwidthPackageId", rule: "must look like cbwp-xxxx (got '\(id.prefix(80))')"))
            }
            source = .pool(name: pool, overrides: overrides, bandwidthPackageID: bandwidthPackageID)
        case (nil, .some(let id)):
            if !Validation.isCloudID(id, prefix: "eip-") {
                violations.append(.init(field: "eipInstanceId", rule: "must look like eip-xxxx (got '\(id.prefix(80))')"))
            }
            if overrides != EIPParameters() || bandwidthPackageID != nil {
                violations.append(
                    .init(
                        field: "eipInstanceId",
                        rule:
                            "a static EIP keeps its own settings: bandwidth, charge types, ISP, pools, package, name and description cannot be given with it",
                        isContextual: true))
            }
            source = .static(allocationID: id, allowRob: allowRob)
        }
        if allowRob, eipInstanceID == nil {
            violations.append(.init(field: "allowRob", rule: "only applies to a static EIP (eipInstanceId)", isContextual: true))
        }
        guard violations.isEmpty, let source else { throw .invalid(violations) }
        return AllocationRequest(
            cluster: cluster, namespace: namespace, pod: pod, podUID: podUID, source: source, releaseStrategy: strategy)
    }
}
