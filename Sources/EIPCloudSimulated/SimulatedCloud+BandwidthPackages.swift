public import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// Creates shared bandwidth package `id` in the account, as buying one in the console does,
    /// so `DescribeCommonBandwidthPackages` finds it. Joining takes any package id, known or not.
    public func createBandwidthPackage(id: String, region: String, bandwidth: Int = 200, isp: String = "BGP") async throws {
        try Self.checkPackageID(id)
        try await database.query(
            """
            INSERT INTO sim_bandwidth_packages (id, account, region, bandwidth, isp, created_at)
            VALUES (\(id), \(account), \(region), \(bandwidth), \(isp), \(Timestamp.now.milliseconds))
            """
        )
    }

    /// The account's package `id` in `region` with the EIPs in it, or `nil` when it has none.
    public func describeBandwidthPackage(id: String, region: String) async throws -> CloudBandwidthPackage? {
        try await describeBandwidthPackages(region: region, id: id).first
    }

    /// The account's packages in `region` (only `id` when given), by id, with the EIPs in each.
    public func describeBandwidthPackages(region: String, id: String? = nil) async throws -> [CloudBandwidthPackage] {
        try await perform(.describeBandwidthPackages) {
            var query: SQL = "SELECT * FROM sim_bandwidth_packages WHERE account = \(account) AND region = \(region)"
            if let id { query = query + " AND id = \(id)" }
            var packages: [CloudBandwidthPackage] = []
            for row in try await database.query(query + " ORDER BY id") {
                let id = try row.requiredString("id")
                let members = try await database.query(
                    """
                    SELECT allocation_id FROM sim_eips WHERE account = \(account) AND region = \(region) AND bandwidth_package_id = \(id)
                    ORDER BY allocation_id
                    """
                )
                packages.append(
                    CloudBandwidthPackage(
                        id: id, region: region, isp: row.string("isp"), bandwidth: row.int("bandwidth"),
                        allocationIDs: members.compactMap { $0.string("allocation_id") }, ipLimit: configuration.bandwidthPackageIPLimit
                    ))
            }
            return packages
        }
    }

    /// Puts the EIP in a shared bandwidth package. Succeeds when it is already in it; refuses
    /// (`.rejected`) when it is in another package, and (`.busy`) while it is changing.
    public func joinBandwidthPackage(allocationID: String, bandwidthPackageID: String, region: String) async throws {
        try await perform(.joinBandwidthPackage) {
            try Self.checkPackageID(bandwidthPackageID)
            try await database.transaction { sql in
                guard let record = try await lockedRecord(sql, allocationID: allocationID, region: region) else {
                    throw Self.notFound(allocationID)
                }
                if record.bandwidthPackageID == bandwidthPackageID { return }
                if let other = record.bandwidthPackageID {
                    throw CloudError(
                        .rejected, code: "OperationFailed.EipAlreadyInCbwp",
                        message: "The EIP \(allocationID) is already in the shared bandwidth package \(other)."
                    )
                }
                try Self.checkSteady(record)
                try await setPackage(sql, allocationID, bandwidthPackageID)
            }
        }
    }

    /// Takes the EIP out of a shared bandwidth package. Succeeds when it is not in it.
    public func leaveBandwidthPackage(allocationID: String, bandwidthPackageID: String, region: String) async throws {
        try await perform(.leaveBandwidthPackage) {
            try Self.checkPackageID(bandwidthPackageID)
            try await database.transaction { sql in
                // An EIP that is gone is in no package.
                guard let record = try await lockedRecord(sql, allocationID: allocationID, region: region),
                    record.bandwidthPackageID == bandwidthPackageID
                else { return }
                try Self.checkSteady(record)
                try await setPackage(sql, allocationID, nil)
            }
        }
    }

    private func setPackage(_ sql: any SQLExecutor, _ allocationID: String, _ bandwidthPackageID: String?) async throws {
        try await sql.query(
            "UPDATE sim_eips SET bandwidth_package_id = \(bandwidthPackageID) WHERE account = \(account) AND allocation_id = \(allocationID)"
        )
    }

    /// Packages take EIPs that are `Available` or `InUse`, not ones mid-change.
    private static func checkSteady(_ record: SimulatedEIPRecord) throws {
        guard record.status == .available || record.status == .inUse else {
            throw incorrectStatus(record, "it has to be Available or InUse to join or leave a bandwidth package")
        }
    }

    private static func checkPackageID(_ id: String) throws {
        guard !id.isEmpty else {
            throw CloudError(.rejected, code: "MissingParameter", message: "The bandwidth package id is empty.")
        }
    }
}
