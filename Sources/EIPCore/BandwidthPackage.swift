/// A shared bandwidth package (CBWP) and how many of the broker's addresses are in it.
public struct BandwidthPackage: Sendable, Hashable {
    public var id: String
    public var provider: String
    public var region: String
    public var maxIPs: Int
    public var members: Int
    /// Registered by the broker because a pod named it and the cloud has it (its `maxIPs` the
    /// room the cloud reported), rather than by an admin: any cluster on a pool of the same
    /// account and region may name it.
    public var discovered: Bool
    public var createdAt: Timestamp

    public init(
        id: String, provider: String, region: String, maxIPs: Int, members: Int = 0, discovered: Bool = false, createdAt: Timestamp
    ) {
        self.id = id
        self.provider = provider
        self.region = region
        self.maxIPs = maxIPs
        self.members = members
        self.discovered = discovered
        self.createdAt = createdAt
    }
}
