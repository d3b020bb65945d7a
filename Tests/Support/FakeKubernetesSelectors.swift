import Foundation

/// Label and field selectors as the API server reads them, for the forms the agent uses:
/// `key=value`, `key==value`, `key!=value`, and for labels `key` and `!key`.
struct FakeSelector: Sendable, Hashable {
    enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case notExists(String)
    }

    enum Kind: Sendable, Hashable { case label, field }

    var kind: Kind
    var requirements: [Requirement]

    init?(_ text: String?, kind: Kind) {
        self.kind = kind
        requirements = []
        guard let text, !text.isEmpty else { return }
        for term in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let range = term.range(of: "!=") {
                requirements.append(.notEquals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(.equals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if kind == .label, term.hasPrefix("!") {
                requirements.append(.notExists(String(term.dropFirst())))
            } else if kind == .label, !term.contains(" ") {
                requirements.append(.exists(term))
            } else {
                return nil
            }
        }
    }

    func matches(_ object: FakeJSON) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return self.value(key, in: object) == value
            case .notEquals(let key, let value): return self.value(key, in: object) != value
            case .exists(let key): return self.value(key, in: object) != nil
            case .notExists(let key): return self.value(key, in: object) == nil
            }
        }
    }

    /// A label's value, or a field's (an unset field reads as "", as in the API server).
    private func value(_ key: String, in object: FakeJSON) -> String? {
        switch kind {
        case .label:
            return object["metadata"]?["labels"]?[key]?.string
        case .field:
            return object.value(at: key)?.string ?? ""
        }
    }
}
