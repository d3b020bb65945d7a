import HTTPTypes

/// The parameters of one RPC call, read with Alibaba's conventions: an empty value is an absent
/// one, lists flatten as `Name.N` (N from 1), tags as `Tag.N.Key` / `Tag.N.Value`, and a bad
/// value is `InvalidParameter` (400), a missing mandatory one `MissingParameter` (400).
struct RPCParameters: Sendable {
    let values: [String: String]

    init(_ values: [String: String]) {
        self.values = values
    }

    /// The value, or `nil` when absent or empty.
    func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The value of a mandatory parameter.
    func required(_ name: String) throws(EmulatorAPIError) -> String {
        guard let value = string(name) else { throw .missingParameter(name) }
        return value
    }

    /// An integer in `range`, or `nil` when absent.
    func int(_ name: String, in range: ClosedRange<Int>) throws(EmulatorAPIError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidParameter(name, "must be an integer from \(range.lowerBound) to \(range.upperBound) (got '\(text)').")
        }
        return value
    }

    /// `true` or `false`, or `nil` when absent.
    func bool(_ name: String) throws(EmulatorAPIError) -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidParameter(name, "must be true or false (got '\(text)').")
        }
    }

    /// One of `allowed`, or `nil` when absent.
    func oneOf(_ name: String, _ allowed: [String]) throws(EmulatorAPIError) -> String? {
        guard let value = string(name) else { return nil }
        guard allowed.contains(value) else {
            throw .invalidParameter(name, "must be one of \(allowed.joined(separator: ", ")) (got '\(value)').")
        }
        return value
    }

    /// A comma-separated list of at most `limit` items, or `nil` when absent.
    func commaList(_ name: String, limit: Int) throws(EmulatorAPIError) -> [String]? {
        guard let text = string(name) else { return nil }
        let items = text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        guard items.count <= limit else { throw .invalidParameter(name, "holds \(items.count) items; at most \(limit) are allowed.") }
        return items
    }

    /// The values of `Name.1`, `Name.2`, ... in order of N (at most `limit`).
    func list(_ name: String, limit: Int) throws(EmulatorAPIError) -> [String] {
        let items = indexed(prefix: name + ".").compactMap { index, rest -> (Int, String)? in
            guard rest.isEmpty, let value = string("\(name).\(index)") else { return nil }
            return (index, value)
        }
        guard items.count <= limit else { throw .invalidParameter(name, "holds \(items.count) items; at most \(limit) are allowed.") }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The `Tag.N.Key` / `Tag.N.Value` pairs in order of N (at most `limit`); a value may be
    /// absent. A value without its key is `MissingParameter`.
    func tags(limit: Int) throws(EmulatorAPIError) -> [(key: String, value: String?)] {
        let indices = Set(indexed(prefix: "Tag.").filter { $0.rest == ".Key" || $0.rest == ".Value" }.map(\.index)).sorted()
        var tags: [(key: String, value: String?)] = []
        for index in indices {
            guard let key = string("Tag.\(index).Key") else { throw .missingParameter("Tag.\(index).Key") }
            tags.append((key, values["Tag.\(index).Value"]))
        }
        guard tags.count <= limit else { throw .invalidParameter("Tag", "holds \(tags.count) tags; at most \(limit) are allowed.") }
        return tags
    }

    /// The N of every parameter `prefix` N `rest`, with its rest.
    private func indexed(prefix: String) -> [(index: Int, rest: Substring)] {
        values.keys.compactMap { name -> (Int, Substring)? in
            guard name.hasPrefix(prefix) else { return nil }
            let tail = name.dropFirst(prefix.count)
            let digits = tail.prefix { $0.isASCII && $0.isNumber }
            guard let index = Int(digits), index >= 1 else { return nil }
            return (index, tail.dropFirst(digits.count))
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces.
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
