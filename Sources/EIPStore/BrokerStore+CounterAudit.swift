public import EIPCore

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
            let checks: [(kind: String, query: SQL)] = [
                (
                    "pool",
                    """
                    SELECT name, counted, actual FROM (
                        SELECT p.name AS name, p.size AS counted,
                            (SELECT COUNT(*) FROM addresses a WHERE a.pool = p.name AND a.state NOT IN ('released', 'lost')) AS actual
                        FROM pools p) t
                    WHERE counted <> actual
                    """
                ),
                (
                    "bandwidthPackage",
                    """
                    SELECT name, counted, actual FROM (
                        SELECT b.id AS name, b.members AS counted,
                            (SELECT COUNT(*) FROM addresses a WHERE a.bandwidth_package_id = b.id AND a.state NOT IN ('released', 'lost')) AS actual
                        FROM bandwidth_packages b) t
                    WHERE counted <> actual
                    """
                ),
                (
                    "cluster",
                    """
                    SELECT name, counted, actual FROM (
                        SELECT c.name AS name, c.active_leases AS counted,
                            (SELECT COUNT(*) FROM leases l WHERE l.cluster = c.name AND l.active = 1) AS actual
                        FROM clusters c) t
                    WHERE counted <> actual
                    """
                ),
            ]
            for check in checks {
                for row in try await sql.query(check.query) {
                    drift.append(
                        CounterDrift(kind: check.kind, name: try row.requiredString("name"), counted: Int(try row.requiredInt64("counted")), actual: Int(try row.requiredInt64("actual")))
                    )
                }
            }
            return drift
        }
    }
}
