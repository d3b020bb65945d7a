public import EIPCore
public import EIPSQL
import Foundation

/// The broker's books: clusters, tokens, pools, bandwidth packages, addresses, leases and the
/// audit log, on any ``SQLDatabase``.
///
/// Every method is one transaction. Limits (pool size, cluster quota, package capacity) move only
/// through conditional updates that re-check the limit in the same statement, and the schema's
/// constraints back them up, so they hold under any concurrency and across replicas.
///
/// **One lock order.** A transaction that locks rows of several tables locks them in this order,
/// on every path, so two transactions never wait for each other in a cycle (a deadlock is not
/// retried into existence, it cannot happen):
///
/// 1. leases (several at once in `id` order),
/// 2. the lease's cluster (its quota counter, its heartbeat),
/// 3. addresses (idle ones are taken with `SKIP LOCKED`, which never waits),
/// 4. the address's pool (its size counter),
/// 5. the address's bandwidth package (its member counter).
///
/// So an allocate locks the pod's lease, then the cluster's quota, then an address or a pool
/// slot and a package seat; a release that ends a lease locks the lease, then its cluster
/// (``lockCluster(_:in:)``) before it drops the address and frees the slot and the seat; a
/// heartbeat locks the cluster's leases before it records itself on the cluster.
public struct BrokerStore: Sendable {
    public let database: any SQLDatabase
    /// The time every rule of the books reads: TTLs, claims, key holds, heartbeats, silences,
    /// and the times recorded (the system's clock unless a test moves one by hand).
    public let clock: WallClock

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }

    /// Creates the tables, or brings them up to date.
    public func migrate() async throws {
        try await SchemaMigrations.books.apply(to: database)
    }

    func transaction<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result) async throws -> Result {
        try await database.transaction(body)
    }

    /// Locks a cluster's row (step 2 of the lock order) before a path that holds a lease goes
    /// on to addresses, pools or packages and will move the cluster's quota count at its end.
    static func lockCluster(_ name: String, in sql: any SQLExecutor) async throws {
        try await sql.query("SELECT name FROM clusters WHERE name = \(name)\(raw: sql.dialect.forUpdate)")
    }
}

/// A page of results and the token for the next one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?

    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}

extension Page {
    /// The first `pageSize` items of `fetched`, read with one more than a page to tell whether
    /// another page follows, and then the token that resumes after the last of them.
    init(fetched: some Collection<Item>, pageSize: Int, key: (Item) -> String) {
        let items = Array(fetched.prefix(pageSize))
        self.init(items: items, nextPageToken: fetched.count > pageSize ? items.last.map { PageToken.encode(key($0)) } : nil)
    }

    /// Every item of every page `fetch` returns, following the page tokens.
    public static func all(_ fetch: (String?) async throws -> Page<Item>) async throws -> [Item] {
        var items: [Item] = []
        var token: String?
        repeat {
            let page = try await fetch(token)
            items += page.items
            token = page.nextPageToken
        } while token != nil
        return items
    }
}

/// Opaque page tokens: the sort key of the last item, base64url-encoded.
enum PageToken {
    static func encode(_ key: String) -> String {
        Base64URL.encode(Data(key.utf8))
    }

    static func decode(_ token: String?) throws(BrokerError) -> String? {
        guard let token else { return nil }
        guard token.count <= 400, let data = Base64URL.decode(token), let key = String(data: data, encoding: .utf8) else {
            throw .invalid("pageToken", "is not a token this server issued")
        }
        return key
    }
}

/// Values written to JSON text columns; ``SQLRow/requiredJSON(_:_:)`` reads them back.
enum JSONColumn {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

extension SQLExecutor {
    /// Appends an entry to the audit log in the current transaction, filed under the cluster's
    /// id as well as its name: a cluster re-created under the same name does not see these.
    func recordEvent(
        actor: String, action: String, subjectType: String, subjectID: String, cluster: String?, message: String, at: Timestamp
    ) async throws {
        try await query(
            """
            INSERT INTO events (at, actor, action, subject_type, subject_id, cluster, cluster_id, message)
            VALUES (\(at.milliseconds), \(actor), \(action), \(subjectType), \(subjectID), \(cluster),
                    (SELECT id FROM clusters WHERE name = \(cluster)), \(message))
            """
        )
    }
}
