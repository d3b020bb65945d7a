import Foundation

/// A JSON value as the fake API server stores objects: whole, with fields the client does not
/// model, so merge patches apply to the real document.
enum FakeJSON: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([FakeJSON])
    case object([String: FakeJSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let value = try? c.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? c.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? c.decode(Double.self) {
            self = .double(value)
        } else if let value = try? c.decode(String.self) {
            self = .string(value)
        } else if let value = try? c.decode([FakeJSON].self) {
            self = .array(value)
        } else {
            self = .object(try c.decode([String: FakeJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .int(let value): try c.encode(value)
        case .double(let value): try c.encode(value)
        case .string(let value): try c.encode(value)
        case .array(let value): try c.encode(value)
        case .object(let value): try c.encode(value)
        }
    }

    /// Parses JSON text.
    static func parse(_ data: Data) throws -> FakeJSON {
        try JSONDecoder().decode(FakeJSON.self, from: data)
    }

    /// The JSON of an `Encodable` value.
    static func of(_ value: some Encodable) throws -> FakeJSON {
        try parse(JSONEncoder().encode(value))
    }

    /// Compact JSON text with sorted keys.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Decodes this value as `type`.
    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    subscript(key: String) -> FakeJSON? {
        get {
            guard case .object(let fields) = self else { return nil }
            return fields[key]
        }
        set {
            guard case .object(var fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The value at a dotted path such as `metadata.name`.
    func value(at path: String) -> FakeJSON? {
        path.split(separator: ".").reduce(Optional(self)) { value, key in value?[String(key)] }
    }

    /// Sets the value at a dotted path, making objects on the way.
    mutating func set(_ path: String, _ value: FakeJSON?) {
        let keys = path.split(separator: ".").map(String.init)
        func set(_ json: inout FakeJSON, _ keys: ArraySlice<String>) {
            guard let key = keys.first else { return }
            if case .object = json {} else { json = .object([:]) }
            if keys.count == 1 {
                json[key] = value
            } else {
                var child = json[key] ?? .object([:])
                set(&child, keys.dropFirst())
                json[key] = child
            }
        }
        set(&self, keys[...])
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var array: [FakeJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// RFC 7386 JSON merge patch: objects merge, `null` deletes, everything else replaces.
    func mergePatched(with patch: FakeJSON) -> FakeJSON {
        guard case .object(let patchFields) = patch else { return patch }
        var fields: [String: FakeJSON]
        if case .object(let existing) = self { fields = existing } else { fields = [:] }
        for (key, value) in patchFields {
            if value == .null {
                fields[key] = nil
            } else {
                fields[key] = (fields[key] ?? .null).mergePatched(with: value)
            }
        }
        return .object(fields)
    }

    /// A strategic merge patch as the API server applies it to a pod, for the lists the fake
    /// needs: `conditions` merge by `type`, `ownerReferences` by `uid`; other lists are replaced
    /// and objects merge as in a JSON merge patch.
    func strategicMergePatched(with patch: FakeJSON) -> FakeJSON {
        guard case .object(let patchFields) = patch else { return patch }
        var fields: [String: FakeJSON]
        if case .object(let existing) = self { fields = existing } else { fields = [:] }
        for (key, value) in patchFields {
            if value == .null {
                fields[key] = nil
            } else if let mergeKey = ["conditions": "type", "ownerReferences": "uid"][key], case .array(let items) = value {
                var merged = fields[key]?.array ?? []
                for item in items {
                    if let index = merged.firstIndex(where: { $0[mergeKey] == item[mergeKey] }) {
                        merged[index] = merged[index].strategicMergePatched(with: item)
                    } else {
                        merged.append(item)
                    }
                }
                fields[key] = .array(merged)
            } else {
                fields[key] = (fields[key] ?? .null).strategicMergePatched(with: value)
            }
        }
        return .object(fields)
    }
}
