import EIPCloud
import EIPCore

/// One EIP in `DescribeEipAddresses`'s shape (`EipAddresses.EipAddress[]`).
enum EIPAddressJSON {
    static func render(_ eip: CloudEIP) -> JSONValue {
        let bound = eip.instanceID != nil
        let tags = eip.tags.sorted { $0.key < $1.key }.map { tag -> JSONValue in ["Key": .string(tag.key), "Value": .string(tag.value)] }
        return [
            "AllocationId": .string(eip.allocationID),
            "IpAddress": .string(eip.ipAddress),
            "RegionId": .string(eip.region),
            "Status": .string(eip.status.rawValue),
            "InstanceId": .string(eip.instanceID ?? ""),
            "InstanceType": .string(bound ? "NetworkInterface" : ""),
            "InstanceRegionId": .string(bound ? eip.region : ""),
            "PrivateIpAddress": .string(eip.privateIPAddress ?? ""),
            "Mode": "NAT",
            "Netmode": "public",
            "Bandwidth": .string(eip.parameters.bandwidth.map(String.init) ?? "5"),
            "InternetChargeType": .string(eip.parameters.internetChargeType ?? "PayByBandwidth"),
            "ChargeType": .string(eip.parameters.instanceChargeType ?? "PostPaid"),
            "ISP": .string(eip.parameters.isp ?? "BGP"),
            "Name": .string(eip.parameters.name ?? ""),
            "Description": .string(eip.parameters.description ?? ""),
            "Descritpion": .string(eip.parameters.description ?? ""),
            "BandwidthPackageId": .string(eip.bandwidthPackageID ?? ""),
            "BandwidthPackageType": .string(eip.bandwidthPackageID == nil ? "" : "CommonBandwidthPackage"),
            "ResourceGroupId": .string(eip.parameters.resourceGroupId ?? ""),
            "PublicIpAddressPoolId": .string(eip.parameters.publicIpAddressPoolId ?? ""),
            "DeletionProtection": false,
            "SecondLimited": false,
            "HasReservationData": "false",
            "OperationLocks": ["LockReason": []],
            "Tags": ["Tag": .array(tags)],
        ]
    }
}
