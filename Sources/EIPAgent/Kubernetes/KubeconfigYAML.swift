import Foundation

/// A reader of the YAML subset kubeconfig files are written in, turning it into JSON for the
/// decoder. It is no general YAML parser (EIPAgent has no YAML dependency): it reads block
/// mappings and sequences (including sequences at their key's indentation, as `kubectl` writes
/// them), plain, single- and double-quoted scalars, `{}`/`[]` and JSON flow collections, and
/// comments. Anchors, tags, block scalars (`|`, `>`) and multi-line plain scalars are refused
/// with ``KubernetesConfigurationError/Code/malformedKubeconfig``; convert such a file with
/// `kubectl config view --raw -o json`.
enum KubeconfigYAML {
    /// The JSON of `text`.
    static func jsonData(_ text: String) throws -> Data {
        var parser = Parser(lines: try Line.split(text))
        let value = try parser.document()
        return try JSONSerialization.data(withJSONObject: value.jsonObject, options: [.fragmentsAllowed])
    }

    enum Value {
        case null
        case bool(Bool)
        case int(Int)
        case string(String)
        case list([Value])
        case map([(String, Value)])
        case json(Any)

        var jsonObject: Any {
            switch self {
            case .null: return NSNull()
            case .bool(let value): return value
            case .int(let value): return value
            case .string(let value): return value
            case .list(let values): return values.map(\.jsonObject)
            case .map(let pairs):
                var object: [String: Any] = [:]
                for (key, value) in pairs { object[key] = value.jsonObject }
                return object
            case .json(let value): return value
            }
        }
    }

    struct Line {
        var number: Int
        var indent: Int
        var content: Substring

        static func split(_ text: String) throws -> [Line] {
            var lines: [Line] = []
            for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = raw
                if line.last == "\r" { line = line.dropLast() }
                let indent = line.prefix { $0 == " " }.count
                var content = stripComment(line.dropFirst(indent))
                while content.last == " " || content.last == "\t" { content = content.dropLast() }
                if content.isEmpty || content == "---" { continue }
                if content.first == "\t" { throw malformed(offset + 1, "tabs may not indent") }
                if content == "..." { break }
                lines.append(Line(number: offset + 1, indent: indent, content: content))
            }
            return lines
        }

        /// `text` without a comment: `#` at the start or after a blank, outside quotes.
        private static func stripComment(_ text: Substring) -> Substring {
            var quote: Character?
            var previous: Character = " "
            for index in text.indices {
                let character = text[index]
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == "\"" || character == "'" {
                    if previous == " " || previous == ":" || previous == "-" || previous == "[" || previous == "," { quote = character }
                } else if character == "#", previous == " " || previous == "\t" {
                    return text[..<index]
                }
                previous = character
            }
            return text
        }
    }

    struct Parser {
        var lines: [Line]
        var index = 0

        mutating func document() throws -> Value {
            guard index < lines.count else { return .map([]) }
            let value = try block(indent: lines[index].indent)
            if index < lines.count { throw malformed(lines[index].number, "unexpected indentation") }
            return value
        }

        private mutating func block(indent: Int) throws -> Value {
            isSequenceItem(lines[index].content) ? try sequence(indent: indent) : try mapping(indent: indent)
        }

        private func isSequenceItem(_ content: Substring) -> Bool {
            content == "-" || content.hasPrefix("- ")
        }

        private mutating func sequence(indent: Int) throws -> Value {
            var items: [Value] = []
            while index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index].content) {
                let line = lines[index]
                let afterDash = line.content.dropFirst()
                let rest = afterDash.drop { $0 == " " }
                if rest.isEmpty {
                    index += 1
                    if index < lines.count, lines[index].indent > indent {
                        items.append(try block(indent: lines[index].indent))
                    } else {
                        items.append(.null)
                    }
                } else if Self.keySplit(rest) != nil || isSequenceItem(rest) {
                    // `- key: value` opens a mapping (or `- - x` a sequence) at the column of `key`.
                    let column = indent + 1 + (afterDash.count - rest.count)
                    lines[index] = Line(number: line.number, indent: column, content: rest)
                    items.append(try block(indent: column))
                } else {
                    items.append(try Self.scalar(rest, line: line.number))
                    index += 1
                }
            }
            return .list(items)
        }

        private mutating func mapping(indent: Int) throws -> Value {
            var pairs: [(String, Value)] = []
            while index < lines.count, lines[index].indent == indent, !isSequenceItem(lines[index].content) {
                let line = lines[index]
                guard let (key, rest) = Self.keySplit(line.content) else {
                    throw malformed(line.number, "expected `key: value`")
                }
                index += 1
                let value: Value
                if rest.isEmpty {
                    if index < lines.count, lines[index].indent > indent {
                        value = try block(indent: lines[index].indent)
                    } else if index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index].content) {
                        value = try sequence(indent: indent)
                    } else {
                        value = .null
                    }
                } else {
                    value = try Self.scalar(rest, line: line.number)
                }
                pairs.append((try Self.key(key, line: line.number), value))
            }
            if index < lines.count, lines[index].indent > indent {
                throw malformed(lines[index].number, "unexpected indentation")
            }
            return .map(pairs)
        }

        /// The key and the rest of a `key: value` or `key:` line, if it is one.
        static func keySplit(_ content: Substring) -> (Substring, Substring)? {
            var quote: Character?
            var index = content.startIndex
            if let first = content.first, first == "\"" || first == "'" {
                quote = first
                index = content.index(after: index)
            }
            while index < content.endIndex {
                let character = content[index]
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == ":" {
                    let next = content.index(after: index)
                    if next == content.endIndex || content[next] == " " {
                        let rest = content[next...].drop { $0 == " " }
                        return (content[..<index], rest)
                    }
                }
                index = content.index(after: index)
            }
            return nil
        }

        static func key(_ text: Substring, line: Int) throws -> String {
            switch try scalar(text, line: line) {
            case .string(let value): return value
            case .int(let value): return String(value)
            case .bool(let value): return String(value)
            case .null: return ""
            default: throw malformed(line, "a key must be a scalar")
            }
        }

        static func scalar(_ text: Substring, line: Int) throws -> Value {
            guard let first = text.first else { return .null }
            switch first {
            case "\"":
                guard text.count >= 2, text.last == "\"" else { throw malformed(line, "unterminated double-quoted string") }
                // A double-quoted YAML scalar with JSON's escapes is a JSON string.
                guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? String else {
                    throw malformed(line, "unsupported escape in a double-quoted string")
                }
                return .string(value)
            case "'":
                guard text.count >= 2, text.last == "'" else { throw malformed(line, "unterminated single-quoted string") }
                return .string(text.dropFirst().dropLast().replacingOccurrences(of: "''", with: "'"))
            case "{", "[":
                if text == "{}" { return .map([]) }
                if text == "[]" { return .list([]) }
                guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
                    throw malformed(line, "flow collections must be written as JSON")
                }
                return .json(value)
            case "|", ">":
                throw malformed(line, "block scalars (| and >) are not supported")
            case "&", "*", "!":
                throw malformed(line, "anchors, aliases and tags are not supported")
            default:
                break
            }
            switch text {
            case "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let number = Int(text), text.first != "+" { return .int(number) }
            return .string(String(text))
        }
    }

    static func malformed(_ line: Int, _ problem: String) -> KubernetesConfigurationError {
        KubernetesConfigurationError(.malformedKubeconfig, "kubeconfig line \(line): \(problem)")
    }
}
