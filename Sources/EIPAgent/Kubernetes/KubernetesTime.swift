public import Foundation

/// Kubernetes times on the wire: RFC 3339 in UTC, `metav1.Time` in whole seconds
/// (`2024-05-01T10:00:00Z`) and `metav1.MicroTime` with exactly six fractional digits
/// (`2024-05-01T10:00:00.123456Z`, which the API server requires for Lease times).
///
/// Parsing accepts any number of fractional digits and a `Z` or numeric offset. The arithmetic is
/// done here (proleptic Gregorian calendar), so no locale or calendar setting can change it.
public enum KubernetesTime {
    /// `date` as `metav1.Time` (`fractionalDigits: 0`) or `metav1.MicroTime` (`fractionalDigits: 6`).
    public static func string(_ date: Date, fractionalDigits: Int = 0) -> String {
        let scale = Int64(pow(10, Double(max(0, min(fractionalDigits, 9)))))
        let ticks = Int64((date.timeIntervalSince1970 * Double(scale)).rounded(.down))
        let seconds = ticks.floorDivided(by: scale)
        let fraction = ticks - seconds * scale
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fractionalDigits > 0 {
            text += "." + pad(fraction, fractionalDigits)
        }
        return text + "Z"
    }

    /// Parses an RFC 3339 time such as `2024-05-01T10:00:00Z`, `2024-05-01T10:00:00.5Z` or
    /// `2024-05-01T18:00:00+08:00`; `nil` when `text` is not one.
    public static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + width] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += width
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits: Int64 = 0
            var count = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if count < 18 {
                    digits = digits * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                    count += 1
                }
                index += 1
            }
            guard count > 0 else { return nil }
            fraction = Double(digits) / pow(10, Double(count))
        }
        var offset: Int64 = 0
        if expect("Zz") {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2) else { return nil }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays count: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension KeyedDecodingContainer {
    /// A Kubernetes time field, absent or `null` as `nil`.
    func decodeKubernetesTime(forKey key: Key) throws -> Date? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = KubernetesTime.date(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an RFC 3339 time: \(text)")
        }
        return date
    }
}

extension KeyedEncodingContainer {
    /// Writes `date` as a Kubernetes time string, or nothing when it is `nil`.
    mutating func encodeKubernetesTime(_ date: Date?, forKey key: Key, fractionalDigits: Int = 0) throws {
        guard let date else { return }
        try encode(KubernetesTime.string(date, fractionalDigits: fractionalDigits), forKey: key)
    }
}
