extension SimulatedCloud {
    /// One kind of call to the simulated cloud: what ``Faults`` injects failures into and counts.
    public enum Action: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case allocate
        case describe
        case describeTagged
        case networkInterface
        case associate
        case unassociate
        case release
        case joinBandwidthPackage
        case leaveBandwidthPackage
        case describeBandwidthPackages
        case tagResources

        /// The Alibaba Cloud API the call stands for.
        public var apiName: String {
            switch self {
            case .allocate: "AllocateEipAddress"
            case .describe, .describeTagged: "DescribeEipAddresses"
            case .networkInterface: "DescribeNetworkInterfaces"
            case .associate: "AssociateEipAddress"
            case .unassociate: "UnassociateEipAddress"
            case .release: "ReleaseEipAddress"
            case .joinBandwidthPackage: "AddCommonBandwidthPackageIp"
            case .leaveBandwidthPackage: "RemoveCommonBandwidthPackageIp"
            case .describeBandwidthPackages: "DescribeCommonBandwidthPackages"
            case .tagResources: "TagResources"
            }
        }

        public var description: String { rawValue }
    }
}
