/// The fields of a pool an operator sets; the counts are the books'.
public struct PoolSettings: Sendable, Hashable {
    /// The configured cloud account that owns the pool's addresses (`sim` by default).
    public var provider: String
    public var region: String
    /// What new addresses are allocated with. The books read them over ``EIPParameters/ackDefaults``,
    /// so a pool that sets no bandwidth or metering allocates as ACK does.
    public var defaults: EIPParameters
    /// Bandwidth packages new addresses join, first with room first.
    public var bandwidthPackages: [String]
    /// Idle addresses kept allocated, so an allocate is a database transaction.
    public var warm: WarmRange
    /// The most addresses the pool holds (idle and leased together).
    public var maxSize: Int
    /// Clusters allowed to draw from the pool; `nil` means all.
    public var clusters: [String]?

    public init(
        provider: String, region: String, defaults: EIPParameters, bandwidthPackages: [String], warm: WarmRange, maxSize: Int,
        clusters: [String]?
    ) {
        self.provider = provider
        self.region = region
        self.defaults = defaults
        self.bandwidthPackages = bandwidthPackages
        self.warm = warm
        self.maxSize = maxSize
        self.clusters = clusters
    }
}

/// A set of EIPs in one cloud account and region, with the defaults they are allocated with: its
/// settings (read through, as `pool.maxSize`) and what it holds.
@dynamicMemberLookup
public struct Pool: Sendable, Hashable {
    public var name: String
    public var settings: PoolSettings
    /// Addresses the pool holds or is allocating.
    public var size: Int
    public var idle: Int
    public var leased: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        name: String, settings: PoolSettings, size: Int = 0, idle: Int = 0, leased: Int = 0, createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.name = name
        self.settings = settings
        self.size = size
        self.idle = idle
        self.leased = leased
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public subscript<Value>(dynamicMember setting: KeyPath<PoolSettings, Value>) -> Value { settings[keyPath: setting] }

    /// Whether `cluster` may draw from this pool.
    public func admits(cluster: String) -> Bool { settings.clusters?.contains(cluster) ?? true }
}

/// How many idle addresses a pool keeps: at least `min`, at most `max`.
public struct WarmRange: Sendable, Hashable, Codable {
    public var min: Int
    public var max: Int
    public init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }
}
