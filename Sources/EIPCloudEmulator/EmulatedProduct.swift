/// The Alibaba Cloud products the emulator serves, told apart by the API `Version`.
enum EmulatedProduct: String, Sendable, CaseIterable {
    /// VPC `2016-04-28`: the EIP actions.
    case vpc = "2016-04-28"
    /// ECS `2014-05-26`: `DescribeNetworkInterfaces`.
    case ecs = "2014-05-26"
    /// STS `2015-04-01`: `AssumeRoleWithOIDC`, `GetCallerIdentity`.
    case sts = "2015-04-01"

    /// The actions the emulator implements.
    var actions: Set<String> {
        switch self {
        case .vpc:
            [
                "AllocateEipAddress", "AllocateEipAddressPro", "DescribeEipAddresses", "AssociateEipAddress", "UnassociateEipAddress",
                "ReleaseEipAddress", "AddCommonBandwidthPackageIp", "RemoveCommonBandwidthPackageIp", "DescribeCommonBandwidthPackages",
                "TagResources",
            ]
        case .ecs: ["DescribeNetworkInterfaces"]
        case .sts: ["AssumeRoleWithOIDC", "GetCallerIdentity"]
        }
    }

    /// Actions that take no signature.
    var anonymousActions: Set<String> {
        self == .sts ? ["AssumeRoleWithOIDC"] : []
    }

    /// The `HostId` of error bodies.
    func hostID(region: String) -> String {
        switch self {
        case .vpc: "vpc.aliyuncs.com"
        case .ecs: "ecs.\(region).aliyuncs.com"
        case .sts: "sts.aliyuncs.com"
        }
    }
}
