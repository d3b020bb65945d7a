/// A shared bandwidth package (CBWP) and how many of the broker's addresses are in it.
public struct BandwidthPackage: Sendable, Hashable {
    public var id: String
    public var provider: String
    public var region: String
    public var maxIPs: Int
    public var members: Int
    /// The pool through which the broker registered it itself, because a pod of that pool
    /// named it and the cloud has it (its `maxIPs` the room the cloud left); `nil` when an
    /// admin registered it. The pool's clusters may name it.
    public var discoveredFor: String?
    public var createdAt: Timestamp

    public init(
        id: String, provider: String, region: String, maxIPs: Int, members: Int = 0, discoveredFor: String? = nil, createdAt: Timestamp
    ) {
        self.id = id
        self.provider = provider
        self.region = region
        self.maxIPs = maxIPs
        self.members = members
        self.discoveredFor = discoveredFor
        self.createdAt = createdAt
    }
}
