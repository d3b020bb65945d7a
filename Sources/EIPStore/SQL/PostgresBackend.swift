public import Logging
public import PostgresNIO

/// ``SQLDatabase`` on PostgreSQL through a pooled `PostgresClient`. Run ``client`` as a service
/// (it is a `Service`) for the lifetime of the backend.
public struct PostgresBackend: SQLDatabase {
    public let client: PostgresClient
    let logger: Logger
    public var dialect: SQLDialect { .postgres }

    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> Result) async throws -> Result {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { connection in
                    let executor = Executor(connection: connection, logger: logger)
                    try await executor.run("BEGIN")
                    do {
                        let result = try await body(executor)
                        try await executor.run("COMMIT")
                        return result
                    } catch {
                        try? await executor.run("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as PSQLError {
                let state = error.serverInfo?[.sqlState]
                // 40001 serialization_failure, 40P01 deadlock_detected: retry the whole transaction.
                if (state == "40001" || state == "40P01"), attempt < 8 { continue }
                throw Self.translate(error)
            }
        }
    }

    public func shutdown() async throws {}

    static func translate(_ error: PSQLError) -> any Error {
        let constraint = error.serverInfo?[.constraintName] ?? "unknown"
        switch error.serverInfo?[.sqlState] {
        case "23505": return SQLError.uniqueViolation(constraint: constraint)
        case "23514": return SQLError.checkViolation(constraint: constraint)
        case "23503": return SQLError.foreignKeyViolation(constraint: constraint)
        default: return error
        }
    }

    struct Executor: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger
        var dialect: SQLDialect { .postgres }

        func run(_ text: String) async throws {
            _ = try await connection.query(PostgresQuery(unsafeSQL: text), logger: logger)
        }

        func query(_ sql: SQL) async throws -> [SQLRow] {
            let (text, values) = sql.rendered { "$\($0)" }
            var bindings = PostgresBindings(capacity: values.count)
            for value in values {
                switch value {
                case .null: bindings.appendNull()
                case .integer(let int): bindings.append(int)
                case .double(let double): bindings.append(double)
                case .text(let string): bindings.append(string)
                }
            }
            var rows: [SQLRow] = []
            let sequence = try await connection.query(PostgresQuery(unsafeSQL: text, binds: bindings), logger: logger)
            for try await row in sequence {
                var values: [String: SQLValue] = [:]
                for cell in row {
                    values[cell.columnName] = try Self.value(of: cell)
                }
                rows.append(SQLRow(values: values))
            }
            return rows
        }

        static func value(of cell: PostgresCell) throws -> SQLValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int8: return .integer(try cell.decode(Int64.self))
            case .int4: return .integer(Int64(try cell.decode(Int32.self)))
            case .int2: return .integer(Int64(try cell.decode(Int16.self)))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .float8: return .double(try cell.decode(Double.self))
            case .float4: return .double(Double(try cell.decode(Float.self)))
            default: return .text(try cell.decode(String.self))
            }
        }
    }
}
