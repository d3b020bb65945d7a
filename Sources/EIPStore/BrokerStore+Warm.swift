public import EIPCore
import EIPSQL

extension BrokerStore {
    /// Reserves one new idle address for every pool below its warm minimum (counting addresses
    /// already being allocated), within the pool's size. Returns the reservations to allocate.
    public func reserveWarmAddresses(limit: Int) async throws -> [AddressRecord] {
        try await transaction { sql in
            let now = clock.timestamp
            var reserved: [AddressRecord] = []
            let pools = try await sql.query(
                """
                SELECT \(raw: Self.poolColumns),
                    (SELECT COUNT(*) FROM addresses a WHERE a.pool = p.name AND a.state = 'allocating' AND a.lease_id IS NULL) AS warming
                FROM pools p WHERE p.warm_min > 0 ORDER BY p.name
                """
            )
            var made = 0
            pools: for row in pools {
                let pool = try Self.pool(from: row)
                let missing = pool.warm.min - pool.idle - (row.int("warming") ?? 0)
                guard missing > 0 else { continue }
                for _ in 0..<min(missing, limit - made) {
                    do {
                        _ = try await Self.reserveNewAddress(
                            in: pool, parameters: pool.defaults, packageOverride: nil, leaseID: nil, now: now, in: sql)
                        made += 1
                    } catch let error as BrokerError where [.poolExhausted, .bandwidthPackageFull].contains(error.code) {
                        // Full: the refusal left the counters as they were; try again next period.
                        break
                    }
                }
                if made >= limit { break pools }
            }
            let rows = try await sql.query(
                "SELECT * FROM addresses WHERE state = 'allocating' AND lease_id IS NULL AND (claim_until IS NULL OR claim_until < \(now.milliseconds)) ORDER BY created_at LIMIT \(limit)\(raw: sql.dialect.skipLocked)"
            )
            for row in rows {
                let address = try AddressRecord(row: row)
                try await sql.query(
                    "UPDATE addresses SET claim_until = \(now.adding(milliseconds: 60_000).milliseconds) WHERE id = \(address.id)")
                reserved.append(address)
            }
            return reserved
        }
    }

    /// Records a warm address the cloud allocated: it becomes idle in its pool.
    public func recordWarmAllocated(
        addressID: String, allocationID: String, ipAddress: String, reported: EIPParameters, actor: String
    ) async throws {
        try await transaction { sql in
            let now = clock.timestamp
            let rows = try await sql.query(
                """
                UPDATE addresses SET allocation_id = \(allocationID), ip_address = \(ipAddress), reported = \(JSONColumn.encode(reported)), state = 'idle', claim_until = NULL, updated_at = \(now.milliseconds)
                WHERE id = \(addressID) AND state = 'allocating' AND lease_id IS NULL RETURNING pool
                """
            )
            try await sql.recordEvent(
                actor: actor, action: "address.warm", subjectType: "address", subjectID: allocationID, cluster: nil,
                message: "\(ipAddress) idle in pool \(rows.first?.string("pool") ?? "")", at: now)
        }
    }

    /// Gives up a warm reservation the cloud refused for good.
    public func abandonWarmAddress(addressID: String) async throws {
        try await transaction { sql in
            guard
                let row = try await sql.query(
                    "SELECT * FROM addresses WHERE id = \(addressID) AND state = 'allocating' AND lease_id IS NULL"
                ).first
            else { return }
            try await dropAddress(try AddressRecord(row: row), in: sql)
        }
    }

    /// Lets a warm reservation be retried later.
    public func retryWarmAddress(addressID: String, at: Timestamp) async throws {
        try await database.query("UPDATE addresses SET claim_until = \(at.milliseconds) WHERE id = \(addressID)")
    }

    /// Marks idle addresses above their pool's warm maximum, and addresses left `releasing` by a
    /// crash, for release in the cloud, and returns them.
    public func claimSurplusAddresses(limit: Int) async throws -> [AddressRecord] {
        try await transaction { sql in
            let now = clock.timestamp
            let pools = try await sql.query("SELECT \(raw: Self.poolColumns) FROM pools p ORDER BY p.name")
            for row in pools {
                let pool = try Self.pool(from: row)
                let surplus = pool.idle - pool.warm.max
                guard surplus > 0 else { continue }
                let idle = try await sql.query(
                    "SELECT id FROM addresses WHERE pool = \(pool.name) AND state = 'idle' ORDER BY created_at DESC LIMIT \(surplus)\(raw: sql.dialect.skipLocked)"
                )
                for address in idle {
                    try await sql.query(
                        "UPDATE addresses SET state = 'releasing', updated_at = \(now.milliseconds) WHERE id = \(try address.requiredString("id")) AND state = 'idle'"
                    )
                }
            }
            let rows = try await sql.query(
                """
                SELECT * FROM addresses WHERE state = 'releasing' AND lease_id IS NULL AND (claim_until IS NULL OR claim_until < \(now.milliseconds))
                ORDER BY updated_at LIMIT \(limit)\(raw: sql.dialect.skipLocked)
                """
            )
            var claimed: [AddressRecord] = []
            for row in rows {
                let address = try AddressRecord(row: row)
                try await sql.query(
                    "UPDATE addresses SET claim_until = \(now.adding(milliseconds: 60_000).milliseconds) WHERE id = \(address.id)")
                claimed.append(address)
            }
            return claimed
        }
    }

    /// Records that the cloud released an unleased address.
    public func recordAddressReleased(addressID: String, actor: String) async throws {
        try await transaction { sql in
            guard
                let row = try await sql.query(
                    "SELECT * FROM addresses WHERE id = \(addressID) AND state = 'releasing' AND lease_id IS NULL"
                ).first
            else { return }
            let address = try AddressRecord(row: row)
            try await dropAddress(address, in: sql)
            try await sql.recordEvent(
                actor: actor, action: "address.release", subjectType: "address", subjectID: address.allocationID ?? address.id,
                cluster: nil, message: "\(address.ipAddress ?? "") released from pool \(address.pool ?? "")", at: clock.timestamp)
        }
    }

    // MARK: Loop leadership

    /// Takes or renews leadership of a background loop until `until`; returns whether `owner` leads.
    /// A database row, not an advisory lock, so it works on SQLite and PostgreSQL alike.
    public func lead(loop: String, owner: String, until: Timestamp) async throws -> Bool {
        try await transaction { sql in
            let now = clock.timestamp.milliseconds
            let rows = try await sql.query(
                """
                INSERT INTO loop_leaders (loop, owner, until) VALUES (\(loop), \(owner), \(until.milliseconds))
                ON CONFLICT (loop) DO UPDATE SET owner = excluded.owner, until = excluded.until
                WHERE loop_leaders.owner = excluded.owner OR loop_leaders.until < \(now)
                RETURNING owner
                """
            )
            return rows.first?.string("owner") == owner
        }
    }
}
