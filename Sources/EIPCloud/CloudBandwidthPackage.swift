/// A shared bandwidth package (CBWP) as the cloud describes it
/// (`DescribeCommonBandwidthPackages`), and how many EIPs the account may put in it.
public struct CloudBandwidthPackage: Sendable, Hashable {
    /// `cbwp-...`.
    public var id: String
    public var region: String
    /// Its line (`BGP`, `BGP_PRO`): only EIPs of the same line may join.
    public var isp: String?
    /// Peak bandwidth in Mbps, shared by its EIPs.
    public var bandwidth: Int?
    /// The EIPs in it now (allocation ids), the broker's or not.
    public var allocationIDs: [String]
    /// The most EIPs it may hold: the account's quota (Alibaba's default is 100 per package).
    public var ipLimit: Int

    public init(id: String, region: String, isp: String? = nil, bandwidth: Int? = nil, allocationIDs: [String] = [], ipLimit: Int) {
        self.id = id
        self.region = region
        self.isp = isp
        self.bandwidth = bandwidth
        self.allocationIDs = allocationIDs
        self.ipLimit = ipLimit
    }

    /// Room left for more EIPs.
    public var room: Int { max(0, ipLimit - allocationIDs.count) }
}
