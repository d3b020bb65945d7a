internal import Foundation

/// A PodEIP's `status`: the seed's fields, under the seed's JSON names.
///
/// `podLastSeen` is RFC 3339 in whole seconds (`2023-12-15T05:18:47Z`), as Kubernetes writes
/// times; `status` is the lease's phase (`Pending`, `Allocated`, `InUse`, ...).
/// `name` and `bandwidthPackageID` are not on the seed page but are fields of ACK's own v1beta1
/// type, so they are kept under those names.
public struct PodEIPStatus: Sendable, Hashable, Codable {
    public var eipAddress: String?
    public var internetChargeType: String?
    public var isp: String?
    public var networkInterfaceID: String?
    /// When the pod was last seen alive: truncated to the second by `init`, and always written so.
    public var podLastSeen: Timestamp?
    public var privateIPAddress: String?
    public var publicIpAddressPoolID: String?
    public var resourceGroupID: String?
    /// The EIP's name in the cloud.
    public var name: String?
    public var bandwidthPackageID: String?
    /// The lease's phase, such as `InUse`.
    public var status: String?

    public init(
        eipAddress: String? = nil, internetChargeType: String? = nil, isp: String? = nil,
        networkInterfaceID: String? = nil, podLastSeen: Timestamp? = nil, privateIPAddress: String? = nil,
        publicIpAddressPoolID: String? = nil, resourceGroupID: String? = nil, name: String? = nil,
        bandwidthPackageID: String? = nil, status: String? = nil
    ) {
        self.eipAddress = eipAddress
        self.internetChargeType = internetChargeType
        self.isp = isp
        self.networkInterfaceID = networkInterfaceID
        self.podLastSeen = podLastSeen.map { Timestamp(milliseconds: $0.milliseconds.floorDividedBy1000 * 1000) }
        self.privateIPAddress = privateIPAddress
        self.publicIpAddressPoolID = publicIpAddressPoolID
        self.resourceGroupID = resourceGroupID
        self.name = name
        self.bandwidthPackageID = bandwidthPackageID
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case eipAddress, internetChargeType, isp, networkInterfaceID, podLastSeen, privateIPAddress
        case publicIpAddressPoolID, resourceGroupID, name, bandwidthPackageID, status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var seen: Timestamp?
        if let text = try c.decodeIfPresent(String.self, forKey: .podLastSeen) {
            guard let parsed = RFC3339.timestamp(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .podLastSeen, in: c, debugDescription: "podLastSeen must be an RFC 3339 time")
            }
            seen = parsed
        }
        self.init(
            eipAddress: try c.decodeIfPresent(String.self, forKey: .eipAddress),
            internetChargeType: try c.decodeIfPresent(String.self, forKey: .internetChargeType),
            isp: try c.decodeIfPresent(String.self, forKey: .isp),
            networkInterfaceID: try c.decodeIfPresent(String.self, forKey: .networkInterfaceID),
            podLastSeen: seen,
            privateIPAddress: try c.decodeIfPresent(String.self, forKey: .privateIPAddress),
            publicIpAddressPoolID: try c.decodeIfPresent(String.self, forKey: .publicIpAddressPoolID),
            resourceGroupID: try c.decodeIfPresent(String.self, forKey: .resourceGroupID),
            name: try c.decodeIfPresent(String.self, forKey: .name),
            bandwidthPackageID: try c.decodeIfPresent(String.self, forKey: .bandwidthPackageID),
            status: try c.decodeIfPresent(String.self, forKey: .status)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(eipAddress, forKey: .eipAddress)
        try c.encodeIfPresent(internetChargeType, forKey: .internetChargeType)
        try c.encodeIfPresent(isp, forKey: .isp)
        try c.encodeIfPresent(networkInterfaceID, forKey: .networkInterfaceID)
        try c.encodeIfPresent(podLastSeen.map(RFC3339.string), forKey: .podLastSeen)
        try c.encodeIfPresent(privateIPAddress, forKey: .privateIPAddress)
        try c.encodeIfPresent(publicIpAddressPoolID, forKey: .publicIpAddressPoolID)
        try c.encodeIfPresent(resourceGroupID, forKey: .resourceGroupID)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(bandwidthPackageID, forKey: .bandwidthPackageID)
        try c.encodeIfPresent(status, forKey: .status)
    }
}

/// RFC 3339 times as Kubernetes writes them (`metav1.Time`): UTC, whole seconds, `Z`.
enum RFC3339 {
    static func string(_ timestamp: Timestamp) -> String {
        Date(timeIntervalSince1970: Double(timestamp.milliseconds.floorDividedBy1000)).formatted(.iso8601)
    }

    /// Parses `2023-12-15T05:18:47Z`, with or without fractional seconds or a numeric offset.
    static func timestamp(_ text: String) -> Timestamp? {
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? plain.parse(text)) ?? (try? fractional.parse(text)) else { return nil }
        return Timestamp(date)
    }
}

extension Int64 {
    fileprivate var floorDividedBy1000: Int64 { self >= 0 ? self / 1000 : (self - 999) / 1000 }
}
