public import Foundation

/// An Alibaba Cloud key pair, with the security token and expiry of temporary (STS) credentials.
///
/// The secret and the token never print: `description`, `debugDescription` and the mirror that
/// `dump` and debuggers use show the key id masked and the rest as `<redacted>`, so credentials
/// that end up in a log line, an error or a test failure give nothing away.
public struct AlibabaCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var accessKeyID: String
    public var accessKeySecret: String
    /// Set for STS credentials (RAM role, RRSA, a configured STS token).
    public var securityToken: String?
    /// When temporary credentials stop working; `nil` for a long-lived AccessKey pair.
    public var expiration: Date?

    public init(accessKeyID: String, accessKeySecret: String, securityToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.expiration = expiration
    }

    /// The key id with all but its first and last four characters hidden (`LTAI****3xYz`).
    public var maskedAccessKeyID: String { Self.mask(accessKeyID) }

    public var description: String {
        var text = "AlibabaCredentials(accessKeyID: \(maskedAccessKeyID), accessKeySecret: <redacted>"
        if securityToken != nil { text += ", securityToken: <redacted>" }
        if let expiration { text += ", expiration: \(AlibabaTimestamp.format(expiration))" }
        return text + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyID": maskedAccessKeyID,
                "accessKeySecret": "<redacted>",
                "securityToken": securityToken == nil ? "nil" : "<redacted>",
                "expiration": expiration.map(AlibabaTimestamp.format) ?? "nil",
            ],
            displayStyle: .struct
        )
    }

    /// The secrets these credentials hold (secret and token), for scrubbing text that might
    /// echo them, such as a cloud's error message quoting the string it signed.
    var secrets: [String] {
        [accessKeySecret, securityToken].compactMap { $0 }.filter { !$0.isEmpty }
    }

    static func mask(_ text: String) -> String {
        guard text.count > 8 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(4)) + "****" + String(text.suffix(4))
    }
}
