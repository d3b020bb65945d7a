/// The parameters of one RPC-style call, flattened as Alibaba's OpenAPI wants them: scalars by
/// name, lists as `Name.1`, `Name.2`, ..., and key/value maps as `Tag.1.Key`, `Tag.1.Value`, ...
///
/// ```swift
/// var parameters: AlibabaRPCParameters = ["RegionId": "cn-hangzhou"]
/// parameters.set("Bandwidth", 5)
/// parameters.setList("ResourceId", ["eip-1", "eip-2"])      // ResourceId.1, ResourceId.2
/// parameters.setTags(["eip-broker/lease": "l-1"])          // Tag.1.Key, Tag.1.Value
/// ```
public struct AlibabaRPCParameters: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// The flattened name/value pairs.
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.values = Dictionary(elements, uniquingKeysWith: { $1 })
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// Sets `name` to `value`, or leaves it out when `value` is `nil`.
    public mutating func set(_ name: String, _ value: String?) {
        guard let value else { return }
        values[name] = value
    }

    /// Sets `name` to the decimal `value`, or leaves it out when `nil`.
    public mutating func set(_ name: String, _ value: Int?) {
        set(name, value.map(String.init))
    }

    /// Sets `name` to `true` or `false`, or leaves it out when `nil`.
    public mutating func set(_ name: String, _ value: Bool?) {
        set(name, value.map { $0 ? "true" : "false" })
    }

    /// Sets `name.1`, `name.2`, ... to the elements of `list`.
    public mutating func setList(_ name: String, _ list: [String]) {
        for (index, element) in list.enumerated() {
            values["\(name).\(index + 1)"] = element
        }
    }

    /// Sets `name.N.Key` and `name.N.Value` for each tag, in key order so the result is stable.
    public mutating func setTags(_ tags: [String: String], name: String = "Tag") {
        setTags(tags.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }, name: name)
    }

    /// Sets `name.N.Key` and `name.N.Value` for each pair, in the given order.
    public mutating func setTags(_ tags: [(key: String, value: String)], name: String = "Tag") {
        for (index, tag) in tags.enumerated() {
            values["\(name).\(index + 1).Key"] = tag.key
            values["\(name).\(index + 1).Value"] = tag.value
        }
    }
}
