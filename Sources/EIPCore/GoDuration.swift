/// Go's `time.Duration` text form (`5m30s`, `1h`, `1.5h`, `300ms`), which the seed's
/// `k8s.aliyun.com/pod-eip-release-strategy` annotation accepts.
public enum GoDuration {
    /// Parses a Go duration into milliseconds.
    ///
    /// Accepts the units `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`, decimals and several parts
    /// (`1h30m`), as `time.ParseDuration` does, and computes like it in integer nanoseconds (so
    /// `8.2s` is exactly 8200 ms) up to `Int64.max` nanoseconds. Negative durations are refused: a
    /// release delay cannot be negative. Sub-millisecond remainders are truncated.
    /// - Returns: `nil` when the text is not a duration.
    public static func milliseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        if rest.first == "+" { rest = rest.dropFirst() }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let limit = UInt64(Int64.max)
        func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
        var totalNanos: UInt64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix(while: isDigit)
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix(while: isDigit)
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { return nil }
            let unit = rest.prefix { !(isDigit($0) || $0 == ".") }
            rest = rest.dropFirst(unit.count)
            let scale: UInt64
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1_000
            case "ms": scale = 1_000_000
            case "s": scale = 1_000_000_000
            case "m": scale = 60_000_000_000
            case "h": scale = 3_600_000_000_000
            default: return nil
            }
            var value: UInt64 = 0
            for digit in whole.utf8 {
                let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
                value = times10 &+ UInt64(digit - 48)
                guard !overflow, value <= limit else { return nil }
            }
            let (wholeNanos, overflow) = value.multipliedReportingOverflow(by: scale)
            guard !overflow, wholeNanos <= limit else { return nil }
            // As Go's leadingFraction: digits beyond what an integer holds are ignored, and the
            // fraction is scaled in floating point (exact to the nanosecond even for hours).
            var numerator: UInt64 = 0
            var denominator: Double = 1
            var fractionFull = false
            for digit in fraction.utf8 where !fractionFull {
                let next = numerator.multipliedReportingOverflow(by: 10)
                if next.overflow || next.partialValue + UInt64(digit - 48) > limit {
                    fractionFull = true
                } else {
                    numerator = next.partialValue + UInt64(digit - 48)
                    denominator *= 10
                }
            }
            let partNanos = wholeNanos + (numerator > 0 ? UInt64(Double(numerator) * (Double(scale) / denominator)) : 0)
            totalNanos += partNanos
            guard partNanos <= limit, totalNanos <= limit else { return nil }
        }
        return Int64(totalNanos / 1_000_000)
    }

    /// Formats milliseconds the way Go prints a duration: `10m0s`, `1h30m0s`, `1.5s`, `250ms`.
    public static func format(milliseconds ms: Int64) -> String {
        if ms == 0 { return "0s" }
        if ms < 1000 { return "\(ms)ms" }
        var result = ""
        let hours = ms / 3_600_000
        let minutes = (ms % 3_600_000) / 60_000
        let millisOfMinute = ms % 60_000
        if hours > 0 { result += "\(hours)h" }
        if hours > 0 || minutes > 0 { result += "\(minutes)m" }
        let seconds = millisOfMinute / 1000
        let fraction = millisOfMinute % 1000
        if fraction == 0 {
            result += "\(seconds)s"
        } else {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            result += "\(seconds).\(digits)s"
        }
        return result
    }
}
