/// Go's `time.Duration` text form (`5m30s`, `1h`, `1.5h`, `300ms`), which the seed's
/// `k8s.aliyun.com/pod-eip-release-strategy` annotation accepts.
public enum GoDuration {
    /// Parses a Go duration into milliseconds.
    ///
    /// Accepts the units `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`, decimals and several parts
    /// (`1h30m`), as `time.ParseDuration` does. Negative durations are refused: a release delay
    /// cannot be negative. Sub-millisecond remainders are truncated.
    /// - Returns: `nil` when the text is not a duration.
    public static func milliseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        if rest == "0" { return 0 }
        if rest.first == "+" { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return nil }
        var totalNanos: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                let value = Double(number.hasPrefix(".") ? "0" + number : String(number))
            else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1_000
            case "ms": scale = 1_000_000
            case "s": scale = 1_000_000_000
            case "m": scale = 60_000_000_000
            case "h": scale = 3_600_000_000_000
            default: return nil
            }
            totalNanos += value * scale
            guard totalNanos < 9.2e18 else { return nil }
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
