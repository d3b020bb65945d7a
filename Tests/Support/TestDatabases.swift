import EIPCloudSimulated
import EIPSQL
import EIPStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The storage engines that tests touching the database run against, as a test argument:
///
/// ```swift
/// @Test(arguments: Backend.allCases)
/// func keepsBooks(_ backend: Backend) async throws {
///     try await TestDatabase.with(backend) { db in ... }
/// }
/// ```
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, migrated database for one test, and what it takes to tear it down.
///
/// SQLite databases are files in a new temporary folder. PostgreSQL databases are made as
/// `test_<random>` on the server named by `EIPBROKER_TEST_POSTGRES_URL` (which `scripts/test`
/// sets) and dropped by ``shutdown()``. ``openReplica()`` opens a second, independent connection
/// pool on the same database, standing in for a second broker replica.
final class TestDatabase: Sendable {
    let backend: Backend
    /// The database, with the books' and the simulated cloud's schemas applied.
    let database: any SQLDatabase

    private let location: Location
    private let opened: Mutex<[OpenDatabase]>

    private enum Location: Sendable {
        case sqlite(folder: URL, path: String)
        case postgres(server: DatabaseURL.Postgres, admin: DatabaseURL.Postgres)
    }

    /// A backend this handle opened, with the task running its PostgreSQL client, if any.
    private struct OpenDatabase: Sendable {
        var database: any SQLDatabase
        var run: Task<Void, Never>?
    }

    static let logger = Logger(label: "eip-broker.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The environment variable that names the test PostgreSQL server.
    static let postgresURLVariable = "EIPBROKER_TEST_POSTGRES_URL"

    private init(backend: Backend, location: Location, first: OpenDatabase) {
        self.backend = backend
        self.location = location
        self.database = first.database
        self.opened = Mutex([first])
    }

    /// A database on `backend`, migrated unless `migrated` is false (an empty one, for tests of
    /// the migrations themselves).
    static func make(_ backend: Backend, migrated: Bool = true) async throws -> TestDatabase {
        let handle =
            switch backend {
            case .sqlite: try await sqlite()
            case .postgres: try await postgres()
            }
        return migrated ? try await handle.migrated() : handle
    }

    /// An empty SQLite database in a new temporary file.
    private static func sqlite() async throws -> TestDatabase {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eipbroker-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("broker.sqlite").path
        let database = try await SQLiteBackend(path: path, logger: logger)
        return TestDatabase(backend: .sqlite, location: .sqlite(folder: folder, path: path), first: OpenDatabase(database: database))
    }

    /// An empty PostgreSQL database of its own on the server `scripts/test` started.
    ///
    /// - Throws: ``TestDatabaseError/postgresNotConfigured`` when `EIPBROKER_TEST_POSTGRES_URL`
    ///   is not set, so PostgreSQL tests fail (never skip) outside `scripts/test`.
    private static func postgres() async throws -> TestDatabase {
        let admin = try adminServer()
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await runAdminStatement("CREATE DATABASE \(name)", on: admin)
        let server = admin.with(database: name)
        return TestDatabase(backend: .postgres, location: .postgres(server: server, admin: admin), first: startClient(server))
    }

    /// Runs `body` with a fresh database on `backend` (migrated unless `migrated` is false) and
    /// shuts it down afterwards, also when `body` throws.
    static func with<Result: Sendable>(
        _ backend: Backend, migrated: Bool = true, _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let handle = try await make(backend, migrated: migrated)
        do {
            let result = try await body(handle)
            await handle.shutdown()
            return result
        } catch {
            await handle.shutdown()
            throw error
        }
    }

    /// The database URL a broker is started with (`--database-url`).
    var url: String {
        switch location {
        case .sqlite(_, let path): path
        case .postgres(let server, _): DatabaseURL.postgres(server).url(includingPassword: true)
        }
    }

    /// Another connection (pool) to the same database, as a second broker replica would have;
    /// closed by ``shutdown()``.
    func openReplica() async throws -> any SQLDatabase {
        let replica: OpenDatabase
        switch location {
        case .sqlite(_, let path):
            replica = OpenDatabase(database: try await SQLiteBackend(path: path, logger: Self.logger))
        case .postgres(let server, _):
            replica = Self.startClient(server)
        }
        opened.withLock { $0.append(replica) }
        return replica.database
    }

    /// Closes every connection this handle opened and deletes the database.
    func shutdown() async {
        let all = opened.withLock { opened in
            defer { opened = [] }
            return opened
        }
        for open in all {
            try? await open.database.shutdown()
            if let run = open.run {
                run.cancel()
                await run.value
            }
        }
        switch location {
        case .sqlite(let folder, _):
            try? FileManager.default.removeItem(at: folder)
        case .postgres(let server, let admin):
            try? await Self.runAdminStatement("DROP DATABASE IF EXISTS \(server.database) WITH (FORCE)", on: admin)
        }
    }

    private func migrated() async throws -> TestDatabase {
        do {
            try await SchemaMigrations.books.apply(to: database)
            try await SchemaMigrations.simulatedCloud.apply(to: database)
            return self
        } catch {
            await shutdown()
            throw error
        }
    }

    private static func startClient(_ server: DatabaseURL.Postgres) -> OpenDatabase {
        var configuration = server.clientConfiguration
        // Tests run in parallel, each with its own pools: keep each pool small.
        configuration.options.maximumConnections = 8
        // A loaded machine (the whole suite on two cores) can stall a pool for seconds: only the
        // outage tests, which ask for it, give up on a silent database quickly.
        let backend = PostgresBackend(configuration: configuration, timeout: .seconds(120), logger: logger)
        let run = Task { await backend.client.run() }
        return OpenDatabase(database: backend, run: run)
    }

    /// A connection of its own (no pool) to the admin database of the server `scripts/test` started.
    static func serverConnection() async throws -> PostgresConnection {
        try await connect(to: try adminServer())
    }

    /// The server `EIPBROKER_TEST_POSTGRES_URL` names, at its admin database.
    private static func adminServer() throws -> DatabaseURL.Postgres {
        guard let text = ProcessInfo.processInfo.environment[postgresURLVariable], !text.isEmpty else {
            throw TestDatabaseError.postgresNotConfigured
        }
        guard case .postgres(let admin) = try DatabaseURL(text) else {
            throw TestDatabaseError.notPostgres(variable: postgresURLVariable)
        }
        return admin
    }

    private static func connect(to server: DatabaseURL.Postgres) async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS =
            switch server.tlsMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: server.tlsConfiguration))
            default: .require(try NIOSSLContext(configuration: server.tlsConfiguration))
            }
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.username, password: server.password, database: server.database,
            tls: tls
        )
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
    }

    /// Runs one statement outside any transaction (CREATE and DROP DATABASE need that) on a
    /// short-lived connection to the admin database.
    private static func runAdminStatement(_ statement: String, on admin: DatabaseURL.Postgres) async throws {
        let connection = try await connect(to: admin)
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// Why a test could not get its database.
enum TestDatabaseError: Error, CustomStringConvertible {
    case postgresNotConfigured
    case notPostgres(variable: String)

    var description: String {
        switch self {
        case .postgresNotConfigured:
            "\(TestDatabase.postgresURLVariable) is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL for them"
        case .notPostgres(let variable):
            "\(variable) must be a postgres:// URL"
        }
    }
}
