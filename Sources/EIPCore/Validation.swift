/// Rules for the identifiers and addresses the API accepts. Pure functions, no I/O.
public enum Validation {
    /// An RFC 1123 label, as Kubernetes namespaces and our pool and cluster names:
    /// 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.
    public static func isDNSLabel(_ text: String) -> Bool {
        guard (1...63).contains(text.utf8.count) else { return false }
        let bytes = Array(text.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 45 }
    }

    /// A Kubernetes object name (RFC 1123 subdomain): at most 253 characters of lowercase letters,
    /// digits, '-' and '.', each dot-separated part starting and ending with a letter or digit.
    /// As Kubernetes' `IsDNS1123Subdomain`, a part may be longer than 63 characters.
    public static func isDNSSubdomain(_ text: String) -> Bool {
        guard (1...253).contains(text.utf8.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        return text.utf8.split(separator: 46, omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.first, let last = part.last else { return false }
            return alnum(first) && alnum(last) && part.allSatisfy { alnum($0) || $0 == 45 }
        }
    }

    /// A dotted-quad IPv4 address without leading zeros, such as `192.168.0.10`.
    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(part), value <= 255
            else { return false }
            return part.count == 1 || part.first != "0"
        }
    }

    /// A cloud resource id with the given prefix (`eip-`, `eni-`, `cbwp-`, `rg-`, ...).
    /// Whether free text is at most `characters` characters (the cloud's rule) and at most 4
    /// bytes of UTF-8 for each: a character built of many combining marks counts by its bytes.
    public static func fits(_ text: String, characters: Int) -> Bool {
        text.utf8.count <= 4 * characters && text.count <= characters
    }

    public static func isCloudID(_ text: String, prefix: String) -> Bool {
        guard text.hasPrefix(prefix), text.utf8.count > prefix.utf8.count, text.utf8.count <= 64 else { return false }
        return text.utf8.allSatisfy { b in (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 45 }
    }

    /// An ISP line type: upper-case letters, digits and '_' (`BGP`, `BGP_PRO`, `ChinaTelecom`...).
    public static func isISP(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count)
            && text.utf8.allSatisfy { b in (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 95 }
    }

    /// A pod UID: 1 to 128 characters of letters, digits and '-'.
    public static func isUID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { b in (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 45 }
    }
}
