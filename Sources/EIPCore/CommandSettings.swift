public import Foundation

/// Where an executable's setting comes from: its command-line option when given, else its
/// environment variable when set and not empty.
///
/// ```swift
/// let setting = CommandSettings().value
/// let port = setting(portOption, "EIPBROKER_PORT") ?? "8080"
/// ```
public struct CommandSettings: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The option's value, or the variable's.
    public func value(_ option: String?, _ variable: String) -> String? {
        option ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }
}
