public import EIPCore
import EIPSQL

extension BrokerStore {
    /// The audit log, oldest first, after the page token's position; optionally for one subject
    /// and confined to one cluster, by its id (``Cluster/id``).
    public func events(subjectID: String?, clusterID: String?, pageSize: Int, pageToken: String?) async throws -> Page<AuditEvent> {
        guard let after = Int64(try PageToken.decode(pageToken) ?? "0") else {
            throw BrokerError.invalid("pageToken", "is not a token this server issued")
        }
        var query: SQL = "SELECT * FROM events WHERE id > \(after)"
        if let subjectID { query = query + " AND subject_id = \(subjectID)" }
        if let clusterID { query = query + " AND cluster_id = \(clusterID)" }
        query = query + " ORDER BY id LIMIT \(pageSize + 1)"
        let rows = try await database.query(query)
        let events = try rows.map { row in
            AuditEvent(
                id: try row.requiredInt64("id"), at: Timestamp(milliseconds: try row.requiredInt64("at")),
                actor: try row.requiredString("actor"),
                action: try row.requiredString("action"), subjectType: try row.requiredString("subject_type"),
                subjectID: try row.requiredString("subject_id"), cluster: row.string("cluster"), message: try row.requiredString("message")
            )
        }
        return Page(fetched: events, pageSize: pageSize) { String($0.id) }
    }
}
