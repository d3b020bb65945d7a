public import EIPCore
import EIPSQL

/// An EIP that already serves a pod, as the cloud describes it, for ``BrokerStore/importLease(_:eip:actor:)``.
public struct ImportedEIP: Sendable, Hashable {
    public var allocationID: String
    public var ipAddress: String
    /// What the cloud reports of it.
    public var parameters: EIPParameters
    public var bandwidthPackageID: String?
    /// The ENI it is bound to (checked to be in the cluster's VPCs) and the private IP there;
    /// `nil` when it is not bound.
    public var networkInterfaceID: String?
    public var privateIPAddress: String?
    /// It carries the broker's own owner tag: one of its allocations (its answer perhaps not
    /// recorded yet) or an orphan the drift pass settles, never someone else's to import.
    public var brokersOwn: Bool

    public init(
        allocationID: String, ipAddress: String, parameters: EIPParameters, bandwidthPackageID: String? = nil,
        networkInterfaceID: String? = nil, privateIPAddress: String? = nil, brokersOwn: Bool = false
    ) {
        self.brokersOwn = brokersOwn
        self.allocationID = allocationID
        self.ipAddress = ipAddress
        self.parameters = parameters
        self.bandwidthPackageID = bandwidthPackageID
        self.networkInterfaceID = networkInterfaceID
        self.privateIPAddress = privateIPAddress
    }
}

extension BrokerStore {
    /// Records `eip`, which already serves the pod of `request` (allocated and bound by someone
    /// else), as that pod's lease: `InUse` when it is bound, else `Allocated`, with nothing left
    /// for the reconciler to do. A pool's EIP (`request.source` `.pool`) takes a seat in the
    /// pool and in its bandwidth package, under the same constraints as an allocation; a static
    /// one is claimed as `eipInstanceId` is. The cluster's quota counts it.
    ///
    /// Importing the same EIP for the same pod again returns its lease (`created == false`).
    /// - Throws: `Conflict` when the pod holds another lease, `AddressInUse` when the books
    ///   hold the EIP already, `PoolExhausted`, `QuotaExceeded` or `BandwidthPackageFull`.
    public func importLease(_ request: AllocationRequest, eip: ImportedEIP, actor: Principal) async throws -> (lease: Lease, created: Bool)
    {
        do {
            return try await importOnce(request, eip: eip, actor: actor)
        } catch SQLError.uniqueViolation {
            // Another import of the same pod won the race: answer as it left the books.
            return try await importOnce(request, eip: eip, actor: actor)
        }
    }

    private func importOnce(_ request: AllocationRequest, eip: ImportedEIP, actor: Principal) async throws -> (lease: Lease, created: Bool)
    {
        try await transaction { sql in
            let now = clock.timestamp
            guard let cluster = try await Self.cluster(named: request.cluster, in: sql) else {
                throw BrokerError.unprocessable("cluster", "cluster '\(request.cluster)' does not exist")
            }
            if let existing = try await sql.query(
                """
                SELECT * FROM leases WHERE cluster = \(request.cluster) AND namespace = \(request.namespace) AND pod = \(request.pod)
                AND active = 1\(raw: sql.dialect.forUpdate)
                """
            ).first.map(Self.lease(from:)) {
                guard existing.allocationID == eip.allocationID else {
                    throw BrokerError(
                        .conflict,
                        "pod \(request.namespace)/\(request.pod) already holds lease \(existing.id) (\(existing.allocationID ?? "no EIP yet")), not \(eip.allocationID)"
                    )
                }
                return (existing, false)
            }
            guard !eip.brokersOwn else {
                throw BrokerError(
                    .addressInUse,
                    "allocationId: EIP \(eip.allocationID) carries this broker's own tags: it is being allocated, or settled by drift repair",
                    fieldViolations: [.init(field: "allocationId", rule: "must not be one of the broker's own EIPs")])
            }
            try await Self.takeQuotaSeat(of: request.cluster, in: sql)
            let bound = eip.networkInterfaceID != nil
            var lease = Lease(
                id: Self.newID(prefix: "l-"), cluster: request.cluster, namespace: request.namespace, pod: request.pod,
                podUID: request.podUID, pool: nil, allocationType: .auto, releaseStrategy: request.releaseStrategy,
                parameters: eip.parameters, reported: eip.parameters, allocationID: eip.allocationID, ipAddress: eip.ipAddress,
                networkInterfaceID: eip.networkInterfaceID, privateIPAddress: eip.privateIPAddress, phase: bound ? .inUse : .allocated,
                goal: bound ? .associated : .allocated, podLastSeen: now, createdAt: now, updatedAt: now
            )
            switch request.source {
            case .static(let allocationID, _):
                lease.allocationType = .static
                lease.releaseStrategy = .follow
                try await Self.claimStaticAddress(allocationID, for: lease, location: cluster.location, actor: actor, now: now, in: sql)
                try await sql.query(
                    """
                    UPDATE addresses SET ip_address = \(eip.ipAddress), reported = \(JSONColumn.encode(eip.parameters)), state = 'leased',
                        updated_at = \(now.milliseconds) WHERE lease_id = \(lease.id)
                    """
                )
            case .pool(let name, _, _):
                lease.pool = name
                lease.bandwidthPackageID = try await Self.seatImported(
                    eip, in: name, cluster: cluster, leaseID: lease.id, now: now, in: sql)
            }
            try await Self.insert(lease, in: sql)
            try await sql.query(
                """
                UPDATE leases SET network_interface_id = \(lease.networkInterfaceID), private_ip_address = \(lease.privateIPAddress)
                WHERE id = \(lease.id)
                """
            )
            try await sql.recordEvent(
                actor: actor.description, action: "lease.import", subjectType: "lease", subjectID: lease.id, cluster: lease.cluster,
                message:
                    "pod \(lease.namespace)/\(lease.pod) takes over \(eip.allocationID) \(eip.ipAddress) "
                    + (lease.pool.map { "into pool \($0)" } ?? "as a static EIP")
                    + (bound ? ", bound to \(eip.privateIPAddress ?? "")" : ""),
                at: now
            )
            return (lease, true)
        }
    }

    /// Books a pool's imported EIP: a seat in the pool and in its bandwidth package, and its
    /// address row. - Returns: the package it is in.
    private static func seatImported(
        _ eip: ImportedEIP, in poolName: String, cluster: Cluster, leaseID: String, now: Timestamp, in sql: any SQLExecutor
    ) async throws -> String? {
        let pool = try await usablePool(poolName, by: cluster, in: sql)
        guard !(try await sql.query("UPDATE pools SET size = size + 1 WHERE name = \(poolName) AND size < max_size RETURNING size")).isEmpty
        else {
            throw BrokerError(.poolExhausted, "pool '\(poolName)' holds its maximum of \(pool.maxSize) addresses", retryAfter: 30)
        }
        if let package = eip.bandwidthPackageID {
            // A package the broker found was given the room the cloud left, its members then
            // (this EIP among them) counted out: importing one of those seats it and gives its
            // room back, so the count stays the cloud's.
            let seated = try await sql.query(
                """
                UPDATE bandwidth_packages SET members = members + 1, max_ips = max_ips + CASE WHEN discovered_for IS NULL THEN 0 ELSE 1 END
                WHERE id = \(package) AND provider = \(pool.provider) AND region = \(pool.region)
                    AND (discovered_for IS NOT NULL OR members < max_ips)
                RETURNING id
                """
            )
            guard !seated.isEmpty else {
                guard try await !sql.query("SELECT id FROM bandwidth_packages WHERE id = \(package)").isEmpty else {
                    throw BrokerError.unprocessable(
                        "allocationId", "EIP \(eip.allocationID) is in bandwidth package '\(package)', which is not registered")
                }
                throw BrokerError(.bandwidthPackageFull, "bandwidth package '\(package)' holds as many of the broker's addresses as it may")
            }
        }
        // Booked as the pool's own when it is what the pool would have allocated (so it may go
        // back to the warm pool), else as the cloud describes it (released when its lease ends).
        let parameters = eip.parameters.satisfies(pool.defaults) ? pool.defaults : eip.parameters
        let booked = try await sql.query(
            """
            INSERT INTO addresses (id, allocation_id, ip_address, provider, region, pool, static, parameters, reported, bandwidth_package_id,
                state, lease_id, cloud_attempted, created_at, updated_at)
            VALUES (\(newID(prefix: "a-")), \(eip.allocationID), \(eip.ipAddress), \(pool.provider), \(pool.region), \(poolName), 0,
                \(JSONColumn.encode(parameters)), \(JSONColumn.encode(eip.parameters)), \(eip.bandwidthPackageID), 'leased', \(leaseID), 1,
                \(now.milliseconds), \(now.milliseconds))
            ON CONFLICT (allocation_id) DO UPDATE SET state = 'leased', lease_id = excluded.lease_id, pool = excluded.pool,
                ip_address = excluded.ip_address, parameters = excluded.parameters, reported = excluded.reported,
                bandwidth_package_id = excluded.bandwidth_package_id, static = 0, updated_at = excluded.updated_at
            WHERE addresses.state IN ('released', 'lost')
            RETURNING id
            """
        )
        guard !booked.isEmpty else {
            throw BrokerError(
                .addressInUse, "allocationId: EIP \(eip.allocationID) is in the broker's books already",
                fieldViolations: [.init(field: "allocationId", rule: "must not be an address the broker holds")])
        }
        return eip.bandwidthPackageID
    }
}
