import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// The most tags one EIP carries, as on Alibaba Cloud.
    public static let maximumTagsPerResource = 20

    /// ``tag(allocationIDs:with:region:)`` for one EIP, as ``CloudProvider`` asks.
    public func tag(allocationID: String, with tags: [String: String], region: String) async throws {
        try await tag(allocationIDs: [allocationID], with: tags, region: region)
    }

    /// Adds `tags` to each EIP (Alibaba's `TagResources` with `ResourceType=EIP`), replacing the
    /// value of a key it already has. All or nothing: an unknown allocation id
    /// (`InvalidResourceId.NotFound`), a reserved key (`aliyun*`, `acs:*`) or more than
    /// ``maximumTagsPerResource`` tags on one EIP (`QuotaExceeded.TagNum`) changes nothing.
    /// Counted and faulted as ``Action/tagResources``.
    public func tag(allocationIDs: [String], with tags: [String: String], region: String) async throws {
        try await perform(.tagResources) {
            for key in tags.keys {
                let lower = key.lowercased()
                guard !key.isEmpty, !lower.hasPrefix("aliyun"), !lower.hasPrefix("acs:") else {
                    throw CloudError(
                        .rejected, code: "InvalidTagKey", message: "The tag key '\(key)' is empty or reserved (aliyun*, acs:*).")
                }
            }
            try await database.transaction { sql in
                for allocationID in allocationIDs {
                    guard let record = try await lockedRecord(sql, allocationID: allocationID, region: region) else {
                        throw CloudError(
                            .notFound, code: "InvalidResourceId.NotFound", message: "The resource \(allocationID) does not exist.")
                    }
                    let merged = record.tags.merging(tags) { $1 }
                    guard merged.count <= Self.maximumTagsPerResource else {
                        throw CloudError(
                            .rejected, code: "QuotaExceeded.TagNum",
                            message:
                                "The resource \(allocationID) would carry \(merged.count) tags, more than \(Self.maximumTagsPerResource)."
                        )
                    }
                    try await sql.query(
                        """
                        UPDATE sim_eips SET tags = \(SimulatedEIPRecord.encodeTags(merged))
                        WHERE account = \(account) AND allocation_id = \(allocationID)
                        """
                    )
                }
            }
        }
    }
}
