import Foundation

/// A SQL statement whose interpolated values become bound parameters, never text.
///
/// ```swift
/// let sql: SQL = "SELECT * FROM leases WHERE id = \(id) AND phase <> \(LeasePhase.released.rawValue)"
/// ```
/// Use `\(raw: fragment)` only for trusted SQL fragments (column lists, dialect keywords).
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    enum Segment: Sendable {
        case text(String)
        case value(SQLValue)
    }

    var segments: [Segment]

    public init(stringLiteral value: String) { segments = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { segments = stringInterpolation.segments }

    public struct StringInterpolation: StringInterpolationProtocol {
        var segments: [Segment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { segments.append(.text(literal)) }

        public mutating func appendInterpolation(_ value: some SQLValueConvertible) { segments.append(.value(value.sqlValue)) }

        public mutating func appendInterpolation(_ value: (some SQLValueConvertible)?) {
            segments.append(.value(value?.sqlValue ?? .null))
        }

        public mutating func appendInterpolation(raw fragment: String) { segments.append(.text(fragment)) }

        public mutating func appendInterpolation(_ sql: SQL) { segments.append(contentsOf: sql.segments) }
    }

    /// Appends another statement's text and values.
    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.segments += rhs.segments
        return result
    }

    /// The statement text with numbered placeholders in the dialect's style, and its values.
    func rendered(placeholder: (Int) -> String) -> (text: String, binds: [SQLValue]) {
        var text = ""
        var binds: [SQLValue] = []
        for segment in segments {
            switch segment {
            case .text(let fragment): text += fragment
            case .value(let value):
                binds.append(value)
                text += placeholder(binds.count)
            }
        }
        return (text, binds)
    }
}

/// A value bound to a statement or read from a row.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
}

/// Types that bind as one SQL value.
public protocol SQLValueConvertible: Sendable {
    var sqlValue: SQLValue { get }
}

extension String: SQLValueConvertible { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLValueConvertible { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLValueConvertible { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLValueConvertible { public var sqlValue: SQLValue { .double(self) } }
extension Bool: SQLValueConvertible { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension SQLValue: SQLValueConvertible { public var sqlValue: SQLValue { self } }

/// One result row, by column name.
public struct SQLRow: Sendable {
    public var values: [String: SQLValue]

    public init(values: [String: SQLValue]) { self.values = values }

    public func string(_ column: String) -> String? {
        switch values[column] {
        case .text(let text): text
        case .integer(let int): String(int)
        case .double(let double): String(double)
        default: nil
        }
    }

    public func int64(_ column: String) -> Int64? {
        switch values[column] {
        case .integer(let int): int
        case .double(let double): Int64(double)
        case .text(let text): Int64(text)
        default: nil
        }
    }

    public func int(_ column: String) -> Int? { int64(column).map { Int($0) } }

    public func bool(_ column: String) -> Bool { (int64(column) ?? 0) != 0 }

    /// A required text column.
    public func requiredString(_ column: String) throws -> String {
        guard let value = string(column) else { throw SQLError.missingColumn(column) }
        return value
    }

    /// A required integer column.
    public func requiredInt64(_ column: String) throws -> Int64 {
        guard let value = int64(column) else { throw SQLError.missingColumn(column) }
        return value
    }

    /// A required text column holding one of `T`'s raw values.
    /// - Throws: ``SQLError/invalidValue(column:value:)`` for any other text.
    public func required<T: RawRepresentable>(_ type: T.Type, _ column: String) throws -> T where T.RawValue == String {
        let text = try requiredString(column)
        guard let value = T(rawValue: text) else { throw SQLError.invalidValue(column: column, value: text) }
        return value
    }

    /// An optional text column holding one of `T`'s raw values: `nil` when NULL.
    /// - Throws: ``SQLError/invalidValue(column:value:)`` for text that is none of them.
    public func optional<T: RawRepresentable>(_ type: T.Type, _ column: String) throws -> T? where T.RawValue == String {
        guard let text = string(column) else { return nil }
        guard let value = T(rawValue: text) else { throw SQLError.invalidValue(column: column, value: text) }
        return value
    }

    /// A required text column holding JSON of `T`.
    /// - Throws: ``SQLError/missingColumn(_:)`` when NULL, ``SQLError/invalidValue(column:value:)``
    ///   when it does not decode.
    public func requiredJSON<T: Decodable>(_ type: T.Type, _ column: String) throws -> T {
        guard let value = try json(type, column) else { throw SQLError.missingColumn(column) }
        return value
    }

    /// An optional text column holding JSON of `T`: `nil` when NULL.
    /// - Throws: ``SQLError/invalidValue(column:value:)`` when it does not decode.
    public func json<T: Decodable>(_ type: T.Type, _ column: String) throws -> T? {
        guard let text = string(column) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw SQLError.invalidValue(column: column, value: text)
        }
    }
}
