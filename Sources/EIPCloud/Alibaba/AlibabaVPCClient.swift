/// Alibaba's VPC API for EIPs, typed: one method per action, each paced, signed and retried
/// through ``AlibabaAccountAPI``.
///
/// Methods throw what the last attempt threw (``AlibabaAPIError`` when the cloud refused);
/// ``AlibabaCloudProvider`` turns that into the broker's ``CloudError``.
///
/// ```swift
/// let vpc = AlibabaVPCClient(api: api)
/// let eip = try await vpc.allocateEipAddress(.init(bandwidth: 5, clientToken: "lease-42"), region: "cn-hangzhou")
/// let all = try await vpc.describeAllEipAddresses(.init(tags: ["eip-broker/owner": "prod"]), region: "cn-hangzhou")
/// ```
public struct AlibabaVPCClient: Sendable {
    public let api: AlibabaAccountAPI

    public init(api: AlibabaAccountAPI) {
        self.api = api
    }

    /// `AllocateEipAddress`, or `AllocateEipAddressPro` when the request names an address.
    public func allocateEipAddress(_ request: AllocateEipAddressRequest, region: String) async throws -> AllocateEipAddressResponse {
        try await api.call(
            .vpc, region: region, action: request.isPro ? "AllocateEipAddressPro" : "AllocateEipAddress", parameters: request.parameters,
            eipOperation: true, as: AllocateEipAddressResponse.self
        )
    }

    /// `AllocateEipAddressPro`: a specific address (``AllocateEipAddressRequest/ipAddress``) or
    /// a released EIP again (``AllocateEipAddressRequest/instanceID``).
    public func allocateEipAddressPro(_ request: AllocateEipAddressRequest, region: String) async throws -> AllocateEipAddressResponse {
        try await api.call(
            .vpc, region: region, action: "AllocateEipAddressPro", parameters: request.parameters, eipOperation: true,
            as: AllocateEipAddressResponse.self
        )
    }

    /// One page of `DescribeEipAddresses`.
    public func describeEipAddresses(_ request: DescribeEipAddressesRequest, region: String) async throws -> DescribeEipAddressesResponse {
        try await api.call(
            .vpc, region: region, action: "DescribeEipAddresses", parameters: request.parameters, as: DescribeEipAddressesResponse.self)
    }

    /// Every page of `DescribeEipAddresses` (``DescribeEipAddressesRequest/pageSize`` per page,
    /// 100 by default), in the cloud's order.
    public func describeAllEipAddresses(_ request: DescribeEipAddressesRequest, region: String) async throws -> [AlibabaEIPAddress] {
        var request = request
        request.pageSize = request.pageSize ?? 100
        request.pageNumber = 1
        var all: [AlibabaEIPAddress] = []
        while true {
            let page = try await describeEipAddresses(request, region: region)
            all += page.eipAddresses
            // A short or empty page ends it, whatever TotalCount says (it moves while we read).
            if page.eipAddresses.isEmpty || page.eipAddresses.count < request.pageSize! || all.count >= page.totalCount { return all }
            request.pageNumber! += 1
        }
    }

    /// `AssociateEipAddress`. Asynchronous on Alibaba's side: the EIP is `Associating` until it
    /// settles to `InUse`.
    @discardableResult
    public func associateEipAddress(_ request: AssociateEipAddressRequest, region: String) async throws -> AlibabaAcknowledgement {
        try await api.call(
            .vpc, region: region, action: "AssociateEipAddress", parameters: request.parameters, eipOperation: true,
            as: AlibabaAcknowledgement.self)
    }

    /// `UnassociateEipAddress`. Asynchronous: `Unassociating` until `Available`.
    @discardableResult
    public func unassociateEipAddress(_ request: UnassociateEipAddressRequest, region: String) async throws -> AlibabaAcknowledgement {
        try await api.call(
            .vpc, region: region, action: "UnassociateEipAddress", parameters: request.parameters, eipOperation: true,
            as: AlibabaAcknowledgement.self
        )
    }

    /// `ReleaseEipAddress`: only an `Available`, pay-as-you-go EIP outside any bandwidth package.
    @discardableResult
    public func releaseEipAddress(allocationID: String, region: String) async throws -> AlibabaAcknowledgement {
        try await api.call(
            .vpc, region: region, action: "ReleaseEipAddress", parameters: ["AllocationId": allocationID], eipOperation: true,
            as: AlibabaAcknowledgement.self
        )
    }

    /// `AddCommonBandwidthPackageIp`.
    @discardableResult
    public func addCommonBandwidthPackageIp(_ request: BandwidthPackageIPRequest, region: String) async throws -> AlibabaAcknowledgement {
        try await api.call(
            .vpc, region: region, action: "AddCommonBandwidthPackageIp", parameters: request.parameters, eipOperation: true,
            as: AlibabaAcknowledgement.self
        )
    }

    /// `RemoveCommonBandwidthPackageIp`.
    @discardableResult
    public func removeCommonBandwidthPackageIp(_ request: BandwidthPackageIPRequest, region: String) async throws -> AlibabaAcknowledgement
    {
        var parameters = request.parameters
        parameters["IpType"] = nil
        return try await api.call(
            .vpc, region: region, action: "RemoveCommonBandwidthPackageIp", parameters: parameters, eipOperation: true,
            as: AlibabaAcknowledgement.self
        )
    }

    /// `DescribeCommonBandwidthPackages` for the package `bandwidthPackageID`: it, or `nil`
    /// when the account has no such package in `region` (Alibaba answers with an empty list).
    public func describeCommonBandwidthPackage(_ bandwidthPackageID: String, region: String) async throws -> AlibabaBandwidthPackage? {
        let page = try await api.call(
            .vpc, region: region, action: "DescribeCommonBandwidthPackages",
            parameters: ["BandwidthPackageId": bandwidthPackageID, "PageSize": "50"], as: DescribeCommonBandwidthPackagesResponse.self)
        return page.packages.first { $0.bandwidthPackageID == bandwidthPackageID }
    }

    /// `TagResources`, split into calls of at most 20 tags and 50 resources.
    public func tagResources(_ request: TagResourcesRequest, region: String) async throws {
        let tags = request.tags.sorted { $0.key < $1.key }
        let tagChunks = stride(from: 0, to: max(tags.count, 1), by: TagResourcesRequest.maximumTags).map {
            Dictionary(uniqueKeysWithValues: tags[$0..<min($0 + TagResourcesRequest.maximumTags, tags.count)].map { ($0.key, $0.value) })
        }
        for start in stride(from: 0, to: request.resourceIDs.count, by: TagResourcesRequest.maximumResources) {
            let ids = Array(request.resourceIDs[start..<min(start + TagResourcesRequest.maximumResources, request.resourceIDs.count)])
            for chunk in tagChunks where !chunk.isEmpty {
                let part = TagResourcesRequest(resourceType: request.resourceType, resourceIDs: ids, tags: chunk)
                _ = try await api.call(
                    .vpc, region: region, action: "TagResources", parameters: part.parameters, as: AlibabaAcknowledgement.self)
            }
        }
    }
}
