import Foundation

/// The UTC timestamps of Alibaba's APIs: `yyyy-MM-dd'T'HH:mm:ss'Z'` (V1 `Timestamp`, V3
/// `x-acs-date`, and the `Expiration` of STS credentials).
enum AlibabaTimestamp {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Parses `2024-05-01T12:00:00Z`, with or without fractional seconds.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
