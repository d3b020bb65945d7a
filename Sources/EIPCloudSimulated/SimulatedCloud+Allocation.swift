public import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// What `AllocateEipAddress` fills in when the request leaves a parameter out, as Alibaba
    /// does: 5 Mbps, pay by bandwidth, pay-as-you-go, BGP, the account's default resource group.
    var defaultParameters: EIPParameters {
        EIPParameters(
            bandwidth: 5, internetChargeType: "PayByBandwidth", instanceChargeType: "PostPaid", isp: "BGP",
            resourceGroupId: SimulatedIdentifiers.defaultResourceGroup(account: account)
        )
    }

    /// Allocates an EIP, or returns the one an earlier call with the same client token made.
    ///
    /// Allocations of one account are serialized on a lock row in `sim_counters`, so the quota
    /// and the client token hold across replicas; the unique index on `(account, client_token)`
    /// backs the token up.
    public func allocate(_ request: CloudAllocationRequest) async throws -> CloudEIP {
        try await perform(.allocate) {
            if let violation = request.parameters.violations().first {
                throw CloudError(.rejected, code: "InvalidParameter", message: "\(violation.field) \(violation.rule)")
            }
            guard !request.region.isEmpty else {
                throw CloudError(.rejected, code: "InvalidRegionId.Malformed", message: "The region is empty.")
            }
            let parameters = defaultParameters.overridden(by: request.parameters)
            let token = request.clientToken.isEmpty ? nil : request.clientToken
            do {
                return try await database.transaction { sql in
                    try await allocate(sql, request, parameters: parameters, token: token)
                }
            } catch SQLError.uniqueViolation where token != nil {
                // Only reachable if the lock row was bypassed: the token's EIP exists, answer with it.
                return try await database.transaction { sql in
                    try await allocate(sql, request, parameters: parameters, token: token)
                }
            }
        }
    }

    func allocate(
        _ sql: any SQLExecutor, _ request: CloudAllocationRequest, parameters: EIPParameters, token: String?,
        requestedAddress: String? = nil
    ) async throws -> CloudEIP {
        let lock = "allocation-lock:\(account)"
        try await sql.query("INSERT INTO sim_counters (name, value) VALUES (\(lock), 0) ON CONFLICT (name) DO NOTHING")
        try await sql.query("SELECT value FROM sim_counters WHERE name = \(lock)\(raw: sql.dialect.forUpdate)")

        if let token {
            let rows = try await sql.query("SELECT * FROM sim_eips WHERE account = \(account) AND client_token = \(token)")
            if let row = rows.first {
                let existing = try SimulatedEIPRecord(row: row).settled(at: .now)
                guard existing.region == request.region, existing.parameters == parameters,
                    requestedAddress == nil || requestedAddress == existing.ipAddress
                else {
                    throw CloudError(
                        .rejected, code: "IdempotentParameterMismatch",
                        message: "The client token \(token) was used before with other parameters."
                    )
                }
                return existing.cloudEIP
            }
        }

        let held = try await sql.query("SELECT COUNT(*) AS held FROM sim_eips WHERE account = \(account)").first?.int64("held") ?? 0
        guard held < configuration.quota else {
            throw CloudError(
                .quotaExceeded, code: "QuotaExceeded.Eip",
                message: "The account \(account) holds \(held) EIPs, its quota of \(configuration.quota)."
            )
        }

        let address: String
        if let requestedAddress {
            guard try await sql.query("SELECT allocation_id FROM sim_eips WHERE ip_address = \(requestedAddress)").isEmpty else {
                throw CloudError(
                    .rejected, code: "InvalidIpAddress.AlreadyAllocated",
                    message: "The IP address \(requestedAddress) is already allocated."
                )
            }
            address = requestedAddress
        } else {
            address = try await nextFreeAddress(sql)
        }

        let record = CloudEIP(
            allocationID: SimulatedIdentifiers.allocationID(), ipAddress: address, region: request.region, status: .available,
            parameters: parameters, tags: request.tags
        )
        try await sql.query(
            """
            INSERT INTO sim_eips (allocation_id, ip_address, account, region, status, bandwidth, internet_charge_type,
                instance_charge_type, isp, public_ip_address_pool_id, resource_group_id, name, description, client_token, tags, created_at)
            VALUES (\(record.allocationID), \(address), \(account), \(request.region), \(CloudEIP.Status.available.rawValue),
                \(parameters.bandwidth), \(parameters.internetChargeType), \(parameters.instanceChargeType), \(parameters.isp),
                \(parameters.publicIpAddressPoolId), \(parameters.resourceGroupId), \(parameters.name), \(parameters.description),
                \(token), \(SimulatedEIPRecord.encodeTags(request.tags)), \(Timestamp.now.milliseconds))
            """
        )
        return record
    }

    /// The next address of 198.18.0.0/15 by the shared counter, skipping addresses already held
    /// (taken by an allocation of a specific address).
    private func nextFreeAddress(_ sql: any SQLExecutor) async throws -> String {
        let counter = SimulatedIdentifiers.addressCounter
        try await sql.query("INSERT INTO sim_counters (name, value) VALUES (\(counter), 0) ON CONFLICT (name) DO NOTHING")
        while true {
            let number =
                try await sql.query("UPDATE sim_counters SET value = value + 1 WHERE name = \(counter) RETURNING value")
                .first?.int64("value") ?? 0
            guard let address = SimulatedIdentifiers.address(number: number) else {
                throw CloudError(
                    .unavailable, code: "ResourceNotEnough.Eip", message: "The simulated address range 198.18.0.0/15 is used up.")
            }
            if try await sql.query("SELECT allocation_id FROM sim_eips WHERE ip_address = \(address)").isEmpty {
                return address
            }
        }
    }

    /// The EIP as any replica sees it now, or `nil` when this account has no such EIP in `region`.
    public func describe(allocationID: String, region: String) async throws -> CloudEIP? {
        try await perform(.describe) {
            try await read(allocationID: allocationID, region: region)?.cloudEIP
        }
    }

    /// Every EIP of this account in `region` tagged `key=value`, oldest first.
    public func describeTagged(key: String, value: String, region: String) async throws -> [CloudEIP] {
        try await perform(.describeTagged) {
            let now = Timestamp.now
            return try await database.query(
                "SELECT * FROM sim_eips WHERE account = \(account) AND region = \(region) ORDER BY created_at, allocation_id"
            )
            .map { try SimulatedEIPRecord(row: $0).settled(at: now) }
            .filter { $0.tags[key] == value }
            .map(\.cloudEIP)
        }
    }

    /// Releases an `Available` EIP. Succeeds when it does not exist; refuses (`.busy`) while it is
    /// bound or changing, and (`.rejected`) while it is in a shared bandwidth package, which it
    /// has to leave first, as on Alibaba Cloud.
    public func release(allocationID: String, region: String) async throws {
        try await perform(.release) {
            try await database.transaction { sql in
                guard let record = try await lockedRecord(sql, allocationID: allocationID, region: region) else { return }
                if let package = record.bandwidthPackageID {
                    throw CloudError(
                        .rejected, code: "OperationFailed.EipInCbwp",
                        message: "The EIP \(allocationID) is in the shared bandwidth package \(package); remove it from the package first."
                    )
                }
                guard record.status == .available else {
                    throw Self.incorrectStatus(record, "only an Available EIP can be released")
                }
                try await sql.query("DELETE FROM sim_eips WHERE account = \(account) AND allocation_id = \(allocationID)")
            }
        }
    }
}
