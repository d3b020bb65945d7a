import Foundation

/// A request rate: sustained requests per second and the burst a quiet caller may send at once.
public struct RequestRate: Sendable, Hashable {
    public var perSecond: Double
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Parses `50/s` or `50/s,burst=100` (burst defaults to twice the rate, at least 1); `0`
    /// or `off` turns the limit off.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "0" || trimmed == "off" {
            self.init(perSecond: 0, burst: 0)
            return
        }
        let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false)
        guard let ratePart = parts.first, ratePart.hasSuffix("/s"), let rate = Double(ratePart.dropLast(2)), rate.isFinite, rate > 0,
            rate <= 1_000_000
        else { return nil }
        var burst = max(1, Int((rate * 2).rounded(.up)))
        if parts.count == 2 {
            guard parts[1].hasPrefix("burst="), let value = Int(parts[1].dropFirst(6)), (1...1_000_000).contains(value) else { return nil }
            burst = value
        } else if parts.count > 2 {
            return nil
        }
        self.init(perSecond: rate, burst: burst)
    }
}
