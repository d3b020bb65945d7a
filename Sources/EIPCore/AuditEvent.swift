/// One entry of the append-only audit log: who did what to which lease, pool or address.
public struct AuditEvent: Sendable, Hashable {
    public var id: Int64
    public var at: Timestamp
    public var actor: String
    public var action: String
    public var subjectType: String
    public var subjectID: String
    public var cluster: String?
    public var message: String

    public init(
        id: Int64 = 0, at: Timestamp, actor: String, action: String, subjectType: String, subjectID: String, cluster: String?,
        message: String
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.cluster = cluster
        self.message = message
    }
}
