/// One shared bandwidth package as `DescribeCommonBandwidthPackages` describes it
/// (`CommonBandwidthPackages.CommonBandwidthPackage[]`), with the allocation ids of its EIPs
/// (`PublicIpAddresses.PublicIpAddresse[]`, Alibaba's spelling).
public struct AlibabaBandwidthPackage: Decodable, Sendable, Hashable {
    public var bandwidthPackageID: String
    public var regionID: String?
    /// Mbps; a string on the wire.
    public var bandwidth: Int?
    public var isp: String?
    public var allocationIDs: [String]

    public init(
        bandwidthPackageID: String, regionID: String? = nil, bandwidth: Int? = nil, isp: String? = nil, allocationIDs: [String] = []
    ) {
        self.bandwidthPackageID = bandwidthPackageID
        self.regionID = regionID
        self.bandwidth = bandwidth
        self.isp = isp
        self.allocationIDs = allocationIDs
    }

    private struct Member: Decodable {
        var allocationID: String?

        init(from decoder: any Decoder) throws {
            allocationID = try decoder.container(keyedBy: AlibabaCodingKey.self).lenientString(AlibabaCodingKey("AllocationId"))
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AlibabaCodingKey.self)
        guard let id = container.lenientString(AlibabaCodingKey("BandwidthPackageId")) else {
            throw DecodingError.keyNotFound(
                AlibabaCodingKey("BandwidthPackageId"),
                .init(codingPath: decoder.codingPath, debugDescription: "a bandwidth package without BandwidthPackageId"))
        }
        bandwidthPackageID = id
        regionID = container.lenientString(AlibabaCodingKey("RegionId"))
        bandwidth = container.lenientInt(AlibabaCodingKey("Bandwidth"))
        isp = container.lenientString(AlibabaCodingKey("ISP"))
        allocationIDs = try container.wrappedList("PublicIpAddresses", "PublicIpAddresse", of: Member.self).compactMap(\.allocationID)
    }
}
