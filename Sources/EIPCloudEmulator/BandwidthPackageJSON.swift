import EIPCloud

/// One shared bandwidth package in `DescribeCommonBandwidthPackages`'s shape
/// (`CommonBandwidthPackages.CommonBandwidthPackage[]`, its EIPs under
/// `PublicIpAddresses.PublicIpAddresse[]`, Alibaba's own spelling).
enum BandwidthPackageJSON {
    static func render(_ package: CloudBandwidthPackage) -> JSONValue {
        let members = package.allocationIDs.map { id -> JSONValue in
            ["AllocationId": .string(id), "BandwidthPackageIpRelationStatus": "BINDED"]
        }
        return [
            "BandwidthPackageId": .string(package.id),
            "RegionId": .string(package.region),
            "Bandwidth": .string(package.bandwidth.map(String.init) ?? ""),
            "ISP": .string(package.isp ?? "BGP"),
            "InternetChargeType": "PayByTraffic",
            "InstanceChargeType": "PostPaid",
            "Status": "Available",
            "BusinessStatus": "Normal",
            "PublicIpAddresses": ["PublicIpAddresse": .array(members)],
        ]
    }
}
