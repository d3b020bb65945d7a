/// The pod annotations of ACK's Pod EIP feature (the seed page), their `eci-` compatible names,
/// and the one annotation of ours, as constants.
///
/// The agent reads the request annotations with ``PodEIPRequestParser`` and writes
/// ``allocatedAddress`` back when the pod's EIP is bound.
public enum PodAnnotation {
    /// `"true"` asks for an EIP allocated for the pod (`"false"` or absent: none).
    public static let podWithEIP = "k8s.aliyun.com/pod-with-eip"
    /// The compatible (ECI) name of ``podWithEIP``.
    public static let eciWithEIP = "k8s.aliyun.com/eci-with-eip"
    /// An existing EIP (`eip-...`) to bind to the pod. The broker never releases it.
    public static let eipInstanceID = "k8s.aliyun.com/pod-eip-instanceid"
    /// The compatible (ECI) name of ``eipInstanceID``.
    public static let eciEIPInstanceID = "k8s.aliyun.com/eci-eip-instanceid"
    /// Peak bandwidth in Mbps.
    public static let bandwidth = "k8s.aliyun.com/eip-bandwidth"
    /// Metering: `PayByTraffic` or `PayByBandwidth`.
    public static let internetChargeType = "k8s.aliyun.com/eip-internet-charge-type"
    /// The compatible name of ``internetChargeType``.
    public static let chargeType = "k8s.aliyun.com/eip-charge-type"
    /// Billing: `PostPaid` or `PrePaid`.
    public static let instanceChargeType = "k8s.aliyun.com/eip-instance-charge-type"
    /// An existing shared bandwidth package (`cbwp-...`) for the EIP to join.
    public static let commonBandwidthPackageID = "k8s.aliyun.com/eip-common-bandwidth-package-id"
    /// Line type: `BGP`, `BGP_PRO`, ...
    public static let isp = "k8s.aliyun.com/eip-isp"
    /// The cloud's public IP address pool (`pippool-...`) to allocate from.
    public static let publicIPAddressPoolID = "k8s.aliyun.com/eip-public-ip-address-pool-id"
    /// The cloud resource group (`rg-...`) of the EIP.
    public static let resourceGroupID = "k8s.aliyun.com/eip-resource-group-id"
    /// The EIP's name in the cloud, at most 128 characters (512 bytes of UTF-8).
    public static let name = "k8s.aliyun.com/eip-name"
    /// The EIP's description in the cloud, at most 256 characters (1024 bytes of UTF-8).
    public static let description = "k8s.aliyun.com/eip-description"
    /// `Follow` (default), `Never`, or a Go duration such as `5m30s`.
    public static let releaseStrategy = "k8s.aliyun.com/pod-eip-release-strategy"
    /// Written by the agent: the public address bound to the pod.
    public static let allocatedAddress = "k8s.aliyun.com/allocated-eipAddress"
    /// Ours: the broker pool an auto-allocated EIP is drawn from. Without it the agent's default
    /// pool is used.
    public static let brokerPool = "eip-broker.io/pool"

    /// The pod condition type (and readiness gate) the agent sets to `True` once the EIP is bound.
    public static let readinessGate = "k8s.aliyun.com/eip"
    /// The reason of that condition when it is `True`, as the seed shows it.
    public static let readinessGateReason = "Associate eip succeed"

    /// Whether `annotations` mention an EIP: any of the request annotations above, whatever its
    /// value, and whether or not it parses. A pod that does may hold a lease.
    public static func mentionsAnEIP(_ annotations: [String: String]) -> Bool {
        requestAnnotations.contains { annotations[$0] != nil }
    }

    /// Every annotation that asks something of the broker.
    private static let requestAnnotations =
        [podWithEIP, eciWithEIP, eipInstanceID, eciEIPInstanceID, releaseStrategy] + autoAllocationOnly

    /// The annotations that shape a newly allocated EIP (and the pool it comes from), in the
    /// order the parser checks them. None of them may accompany a static EIP.
    static let autoAllocationOnly: [String] = [
        brokerPool, bandwidth, internetChargeType, chargeType, instanceChargeType, commonBandwidthPackageID, isp,
        publicIPAddressPoolID, resourceGroupID, name, description,
    ]
}
