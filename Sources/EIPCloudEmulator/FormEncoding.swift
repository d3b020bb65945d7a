import Foundation

/// `application/x-www-form-urlencoded` decoding, for query strings and form bodies: pairs split
/// on `&` and the first `=`, `+` read as a space, percent escapes decoded as UTF-8.
enum FormEncoding {
    /// The pairs of `text` in order; a name without `=` has an empty value. An escape that is not
    /// valid percent-encoded UTF-8 is kept as written.
    static func pairs(_ text: Substring) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            if let equals = part.firstIndex(of: "=") {
                return (decode(part[..<equals]), decode(part[part.index(after: equals)...]))
            }
            return (decode(part), "")
        }
    }

    /// Pairs as a dictionary; a repeated name keeps its last value.
    static func dictionary(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in pairs(text) { result[name] = value }
        return result
    }

    /// One name or value, decoded.
    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
