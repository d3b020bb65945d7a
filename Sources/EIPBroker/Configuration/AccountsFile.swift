import EIPCore
import Foundation
import Yams

/// The cloud accounts file (`--accounts-file`, YAML): which accounts pools may name, and how
/// the broker reaches them. `${NAME}` in any value is replaced by the environment variable
/// `NAME`, so secrets can stay out of the file.
///
/// ```yaml
/// accounts:
///   - name: sim
///     kind: simulated
///     region: cn-hangzhou
///     simulated: {latency: 0s, settleDelay: 20ms}
/// ```
enum AccountsFile {
    /// Parses the file's text into account configurations.
    /// - Throws: `BrokerError.invalidArgument` naming the offending key (`accounts[1].region`).
    static func parse(_ text: String, environment: [String: String]) throws -> [CloudAccountConfiguration] {
        let document: Document
        do {
            document = try YAMLDecoder().decode(Document.self, from: try expand(text, environment: environment))
        } catch let error as DecodingError {
            throw BrokerError.invalid("accounts file", describe(error))
        } catch let error as BrokerError {
            throw error
        } catch {
            throw BrokerError.invalid("accounts file", "is not valid YAML (\(error))")
        }
        guard !document.accounts.isEmpty else { throw BrokerError.invalid("accounts", "must list at least one account") }
        var seen: Set<String> = []
        return try document.accounts.enumerated().map { index, account in
            let field = "accounts[\(index)]"
            guard Validation.isDNSLabel(account.name) else { throw BrokerError.invalid("\(field).name", "must be a DNS label (got '\(account.name)')") }
            guard seen.insert(account.name).inserted else { throw BrokerError.invalid("\(field).name", "'\(account.name)' is declared twice") }
            let region = account.region ?? "cn-hangzhou"
            guard Validation.isDNSLabel(region) else { throw BrokerError.invalid("\(field).region", "must be a region id such as cn-hangzhou") }
            switch account.kind {
            case "simulated":
                let latency = try duration(account.simulated?.latency, default: 0, field: "\(field).simulated.latency")
                let settle = try duration(account.simulated?.settleDelay, default: 20, field: "\(field).simulated.settleDelay")
                return .simulated(name: account.name, region: region, latency: .milliseconds(latency), settleDelay: .milliseconds(settle))
            default:
                throw BrokerError.invalid("\(field).kind", "must be simulated (got '\(account.kind)')")
            }
        }
    }

    struct Document: Decodable {
        var accounts: [Account]
    }

    struct Account: Decodable {
        var name: String
        var kind: String
        var region: String?
        var simulated: Simulated?
    }

    struct Simulated: Decodable {
        var latency: String?
        var settleDelay: String?
    }

    /// Replaces `${NAME}` with the environment's value; an unset variable is an error naming it.
    static func expand(_ text: String, environment: [String: String]) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw BrokerError.invalid("accounts file", "has an unclosed '${'")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw BrokerError.invalid("accounts file", "refers to the environment variable \(name), which is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    static func duration(_ text: String?, default fallback: Int64, field: String) throws -> Int64 {
        guard let text else { return fallback }
        guard let ms = GoDuration.milliseconds(text) else { throw BrokerError.invalid(field, "must be a duration such as 20ms or 1s (got '\(text)')") }
        return ms
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue) is required".trimmingCharacters(in: CharacterSet(charactersIn: "."))
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "could not be read"
        }
    }
}
