/// A shared bandwidth package (CBWP) and how many of the broker's addresses are in it.
public struct BandwidthPackage: Sendable, Hashable {
    public var id: String
    public var provider: String
    public var region: String
    public var maxIPs: Int
    public var members: Int
    public var createdAt: Timestamp

    public init(id: String, provider: String, region: String, maxIPs: Int, members: Int = 0, createdAt: Timestamp) {
        self.id = id
        self.provider = provider
        self.region = region
        self.maxIPs = maxIPs
        self.members = members
        self.createdAt = createdAt
    }
}
