public import Logging
public import PostgresNIO

/// Where the broker keeps its books, parsed from a URL: a PostgreSQL server or a SQLite file.
///
/// - `postgres://user:password@host:port/database?sslmode=disable` (also `postgresql://`); the
///   user defaults to `postgres`, the port to 5432, the database to the user. `sslmode` is one of
///   `disable`, `prefer` (the default), `require` (encrypted, certificate not checked),
///   `verify-ca` (certificate checked, host name not) and `verify-full`, as in libpq. User,
///   password and database may be percent-encoded; an IPv6 host is written in brackets.
/// - `sqlite:///absolute/path.db`, `sqlite:relative/path.db`, `sqlite::memory:`, or a plain path.
///
/// The password never appears in ``description`` nor in parse errors.
///
/// ```swift
/// let url = try DatabaseURL("postgres://broker:secret@db:5432/eip?sslmode=require")
/// let database = try await url.open(logger: logger)
/// ```
public enum DatabaseURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A PostgreSQL server.
    case postgres(Postgres)
    /// A SQLite file, or an in-memory database for `nil`.
    case sqlite(path: String?)

    /// A PostgreSQL server's address, credentials and TLS mode.
    public struct Postgres: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// libpq's `sslmode`.
        public enum TLSMode: String, Sendable, Hashable, CaseIterable {
            case disable
            case prefer
            case require
            case verifyCA = "verify-ca"
            case verifyFull = "verify-full"
        }

        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        public var tlsMode: TLSMode

        public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tlsMode: TLSMode = .prefer) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.tlsMode = tlsMode
        }

        /// The configuration of a pooled `PostgresClient` for this server.
        public var clientConfiguration: PostgresClient.Configuration {
            let tls: PostgresClient.Configuration.TLS =
                switch tlsMode {
                case .disable: .disable
                case .prefer: .prefer(tlsConfiguration)
                case .require, .verifyCA, .verifyFull: .require(tlsConfiguration)
                }
            return PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        }

        /// The client-side TLS settings `sslmode` asks for.
        public var tlsConfiguration: TLSConfiguration {
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch tlsMode {
            case .disable, .prefer, .require: configuration.certificateVerification = .none
            case .verifyCA: configuration.certificateVerification = .noHostnameVerification
            case .verifyFull: configuration.certificateVerification = .fullVerification
            }
            return configuration
        }

        /// The server as a URL with the password replaced by `***`.
        public var description: String { DatabaseURL.postgres(self).description }

        public var debugDescription: String { description }

        /// Shows the redacted URL to `dump` and debuggers, never the password.
        public var customMirror: Mirror { Mirror(self, children: ["url": description]) }

        /// The same server with another database (for tests that make one database each).
        public func with(database: String) -> Postgres {
            var copy = self
            copy.database = database
            return copy
        }
    }

    /// Parses a database URL, explaining what is wrong when it cannot.
    ///
    /// - Throws: ``SQLError/invalidURL(_:)`` naming the problem; the password is never quoted.
    public init(_ text: String) throws(SQLError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .invalidURL("it is empty") }
        if let rest = trimmed.dropPrefix("postgres://") ?? trimmed.dropPrefix("postgresql://") {
            self = .postgres(try Self.parsePostgres(rest))
        } else if let rest = trimmed.dropPrefix("sqlite:") {
            self = .sqlite(path: try Self.parseSQLite(rest))
        } else if let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy({ $0.isLetter || $0 == "+" }),
            trimmed[trimmed.index(after: colon)...].hasPrefix("//")
        {
            throw .invalidURL("unsupported scheme '\(trimmed[..<colon])' (use postgres://, sqlite: or a file path)")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// Opens the database: a ``PostgresBackend`` (run its `client` as a service) whose
    /// transactions fail as unavailable after `timeout`, or a ``SQLiteBackend``.
    public func open(timeout: Duration = .seconds(10), logger: Logger) async throws -> any SQLDatabase {
        switch self {
        case .postgres(let server): PostgresBackend(configuration: server.clientConfiguration, timeout: timeout, logger: logger)
        case .sqlite(let path): try await SQLiteBackend(path: path, logger: logger)
        }
    }

    /// The URL with the password replaced by `***`.
    public var description: String { url(includingPassword: false) }

    /// The URL in a form ``init(_:)`` parses back. Only pass `includingPassword: true` where
    /// the URL goes to a trusted place (a child process's arguments or environment), never to
    /// logs; otherwise the password reads `***`.
    public func url(includingPassword: Bool) -> String {
        switch self {
        case .postgres(let server):
            let secret = server.password.map { ":" + (includingPassword ? $0.percentEncoded() : "***") } ?? ""
            let host = server.host.contains(":") ? "[\(server.host)]" : server.host
            return "postgres://\(server.username.percentEncoded())\(secret)@\(host):\(server.port)/\(server.database.percentEncoded())"
                + "?sslmode=\(server.tlsMode.rawValue)"
        case .sqlite(let path):
            return path.map { "sqlite:\($0)" } ?? "sqlite::memory:"
        }
    }

    public var debugDescription: String { description }

    /// Shows the redacted URL to `dump` and debuggers, never the password.
    public var customMirror: Mirror { Mirror(self, children: ["url": description]) }

    private static func parseSQLite(_ rest: String) throws(SQLError) -> String? {
        if rest == ":memory:" || rest == "//:memory:" { return nil }
        var path = rest
        if let afterSlashes = rest.dropPrefix("//") {
            // sqlite:///abs/path has an empty host; sqlite://host/... is not a file.
            guard afterSlashes.hasPrefix("/") else {
                throw .invalidURL("a sqlite URL names a file: sqlite:///absolute/path or sqlite:relative/path")
            }
            path = afterSlashes
        }
        guard !path.isEmpty, path != "/" else { throw .invalidURL("the sqlite URL has no file path") }
        guard !path.contains("?") else { throw .invalidURL("sqlite URLs take no parameters") }
        return path
    }

    private static func parsePostgres(_ rest: String) throws(SQLError) -> Postgres {
        var remainder = Substring(rest)
        var queryText: Substring?
        if let question = remainder.firstIndex(of: "?") {
            queryText = remainder[remainder.index(after: question)...]
            remainder = remainder[..<question]
        }
        var authority = remainder
        var pathText: Substring = ""
        if let slash = remainder.firstIndex(of: "/") {
            authority = remainder[..<slash]
            pathText = remainder[remainder.index(after: slash)...]
        }

        var username = "postgres"
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                guard let user = String(userInfo[..<colon]).percentDecoded() else {
                    throw .invalidURL("the user name has a bad percent-escape")
                }
                guard let secret = String(userInfo[userInfo.index(after: colon)...]).percentDecoded() else {
                    throw .invalidURL("the password has a bad percent-escape")
                }
                username = user
                password = secret
            } else {
                guard let user = String(userInfo).percentDecoded() else { throw .invalidURL("the user name has a bad percent-escape") }
                username = user
            }
            guard !username.isEmpty else { throw .invalidURL("the user name is empty") }
        }

        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .invalidURL("the IPv6 host has no closing ']'") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL("unexpected text after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw .invalidURL("the host is missing (postgres://user@host:port/database)") }
        guard !host.contains(where: { $0 == "/" || $0 == "@" || $0.isWhitespace }) else {
            throw .invalidURL("the host '\(host)' is not a host name or address")
        }

        var port = 5432
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw .invalidURL("the port '\(portText)' is not a number between 1 and 65535")
            }
            port = value
        }

        guard let decodedDatabase = String(pathText).percentDecoded() else {
            throw .invalidURL("the database name has a bad percent-escape")
        }
        guard !decodedDatabase.contains("/") else { throw .invalidURL("the database name '\(decodedDatabase)' contains '/'") }
        let database = decodedDatabase.isEmpty ? username : decodedDatabase

        var tlsMode = Postgres.TLSMode.prefer
        for pair in (queryText ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            switch name {
            case "sslmode":
                guard let mode = Postgres.TLSMode(rawValue: value) else {
                    let modes = Postgres.TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .invalidURL("sslmode '\(value)' is not one of \(modes)")
                }
                tlsMode = mode
            default:
                throw .invalidURL("unknown parameter '\(name)' (supported: sslmode)")
            }
        }
        return Postgres(host: host, port: port, username: username, password: password, database: database, tlsMode: tlsMode)
    }
}

extension StringProtocol {
    fileprivate func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }

    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension String {
    /// Decodes `%XX` escapes; `nil` when an escape is malformed or the bytes are not UTF-8.
    fileprivate func percentDecoded() -> String? {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else {
                return nil
            }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Escapes everything but the URL's unreserved characters (ASCII letters, digits, `-._~`).
    fileprivate func percentEncoded() -> String {
        var result = ""
        for byte in utf8 {
            let unreserved =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "-._~".utf8.contains(byte)
            if unreserved {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }
}
