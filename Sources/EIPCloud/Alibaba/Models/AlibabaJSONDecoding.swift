/// Alibaba's JSON is loose about scalar types (`"Bandwidth": "5"` in one API, a number in
/// another) and sends `""` for absent ids. These readers accept either form and turn empty
/// strings into `nil`.
extension KeyedDecodingContainer {
    /// A string, number or boolean as text; `nil` when absent, null or empty.
    func lenientString(_ key: Key) -> String? {
        if let text = try? decodeIfPresent(String.self, forKey: key) { return text.isEmpty ? nil : text }
        if let number = try? decodeIfPresent(Int64.self, forKey: key) { return String(number) }
        if let number = try? decodeIfPresent(Double.self, forKey: key) { return String(number) }
        if let flag = try? decodeIfPresent(Bool.self, forKey: key) { return flag ? "true" : "false" }
        return nil
    }

    /// An integer given as a number or as text.
    func lenientInt(_ key: Key) -> Int? {
        if let number = try? decodeIfPresent(Int.self, forKey: key) { return number }
        return lenientString(key).flatMap { Int($0) ?? Double($0).map { Int($0) } }
    }

    /// A boolean given as `true`/`false` or as text.
    func lenientBool(_ key: Key) -> Bool? {
        if let flag = try? decodeIfPresent(Bool.self, forKey: key) { return flag }
        return lenientString(key).map { $0.lowercased() == "true" }
    }
}

/// A coding key made at run time, for Alibaba's wrapper objects (`{"EipAddresses": {"EipAddress": [...]}}`).
struct AlibabaCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == AlibabaCodingKey {
    /// The array at `outer.inner` (`EipAddresses.EipAddress`); empty when absent or null.
    func wrappedList<Element: Decodable>(_ outer: String, _ inner: String, of type: Element.Type) throws -> [Element] {
        guard contains(AlibabaCodingKey(outer)), (try? decodeNil(forKey: AlibabaCodingKey(outer))) == false else { return [] }
        let wrapper = try nestedContainer(keyedBy: AlibabaCodingKey.self, forKey: AlibabaCodingKey(outer))
        return try wrapper.decodeIfPresent([Element].self, forKey: AlibabaCodingKey(inner)) ?? []
    }
}
