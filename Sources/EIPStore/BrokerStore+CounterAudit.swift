import EIPCore
import EIPSQL

/// A counter of the books that disagrees with the rows it counts.
public struct CounterDrift: Sendable, Hashable, CustomStringConvertible {
    /// `pool`, `bandwidthPackage` or `cluster`.
    public var kind: String
    public var name: String
    /// The counter (`pools.size`, `bandwidth_packages.members`, `clusters.active_leases`).
    public var counted: Int
    /// What the rows say it should be.
    public var actual: Int

    public var description: String { "\(kind) '\(name)' counts \(counted) but holds \(actual)" }
}

extension BrokerStore {
    /// Compares every counter with the rows it counts, in one snapshot:
    /// - a pool's `size` with its addresses that are not `released` or `lost`;
    /// - a bandwidth package's `members` with the addresses in it that are not `released` or `lost`;
    /// - a cluster's `active_leases` with its active leases.
    ///
    /// The store moves each counter in the transaction that changes what it counts, so this is
    /// empty whenever no transaction is half done. Tests run it after every concurrency and
    /// failure scenario; operators can run it to check a database.
    public func counterDrift() async throws -> [CounterDrift] {
        try await transaction { sql in
            var drift: [CounterDrift] = []
            // (kind, table, key column, counter column, the rows counted for row `x`)
            let checks: [(kind: String, table: String, key: String, counter: String, counted: String)] = [
                (
                    "pool", "pools", "name", "size",
                    "SELECT COUNT(*) FROM addresses a WHERE a.pool = x.name AND a.state NOT IN ('released', 'lost')"
                ),
                (
                    "bandwidthPackage", "bandwidth_packages", "id", "members",
                    "SELECT COUNT(*) FROM addresses a WHERE a.bandwidth_package_id = x.id AND a.state NOT IN ('released', 'lost')"
                ),
                ("cluster", "clusters", "name", "active_leases", "SELECT COUNT(*) FROM leases l WHERE l.cluster = x.name AND l.active = 1"),
            ]
            for check in checks {
                let query: SQL = """
                    SELECT name, counted, actual FROM (
                        SELECT x.\(raw: check.key) AS name, x.\(raw: check.counter) AS counted, (\(raw: check.counted)) AS actual
                        FROM \(raw: check.table) x) t
                    WHERE counted <> actual
                    """
                for row in try await sql.query(query) {
                    drift.append(
                        CounterDrift(
                            kind: check.kind, name: try row.requiredString("name"), counted: Int(try row.requiredInt64("counted")),
                            actual: Int(try row.requiredInt64("actual")))
                    )
                }
            }
            return drift
        }
    }
}
