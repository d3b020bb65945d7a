/// What happens to a lease's address when its pod goes away: the seed's
/// `k8s.aliyun.com/pod-eip-release-strategy`.
public enum ReleaseStrategy: Sendable, Hashable, CustomStringConvertible {
    /// Release together with the pod (the default).
    case follow
    /// Keep the address until someone releases the lease with `force`.
    case never
    /// Keep the address for this many milliseconds after the pod goes, for a new pod of the same
    /// name (StatefulSet), then release it.
    case ttl(milliseconds: Int64)

    /// The longest TTL accepted: 366 days.
    public static let maximumTTLMilliseconds: Int64 = 366 * 24 * 3_600_000

    /// Parses the annotation's value: `Follow`, `Never` or a Go duration such as `5m30s`.
    /// - Throws: `BrokerError` naming `field` when the value is none of these.
    public init(parsing text: String, field: String = "releaseStrategy") throws(BrokerError) {
        switch text {
        case "", "Follow": self = .follow
        case "Never": self = .never
        default:
            guard let ms = GoDuration.milliseconds(text) else {
                throw .invalid(field, "must be Follow, Never or a Go duration such as 5m30s (got '\(text)')")
            }
            guard ms > 0 else { throw .invalid(field, "a TTL must be longer than zero (got '\(text)')") }
            guard ms <= Self.maximumTTLMilliseconds else { throw .invalid(field, "a TTL must be at most 8784h (366 days) (got '\(text)')") }
            self = .ttl(milliseconds: ms)
        }
    }

    /// The kind as the API and the PodEIP spec show it: `Follow`, `Never` or `TTL`.
    public var kind: String {
        switch self {
        case .follow: "Follow"
        case .never: "Never"
        case .ttl: "TTL"
        }
    }

    /// `releaseAfter` as a Go duration, for TTL strategies.
    public var releaseAfter: String? {
        if case .ttl(let ms) = self { GoDuration.format(milliseconds: ms) } else { nil }
    }

    public var ttlMilliseconds: Int64? {
        if case .ttl(let ms) = self { ms } else { nil }
    }

    /// Rebuilds a strategy from its stored kind and TTL.
    public init?(kind: String, ttlMilliseconds: Int64?) {
        switch (kind, ttlMilliseconds) {
        case ("Follow", _): self = .follow
        case ("Never", _): self = .never
        case ("TTL", .some(let ms)): self = .ttl(milliseconds: ms)
        default: return nil
        }
    }

    public var description: String { releaseAfter.map { "TTL(\($0))" } ?? kind }
}
