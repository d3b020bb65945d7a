public import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// Which EIPs a ``describeEIPs(region:filter:pageNumber:pageSize:)`` returns: an EIP must
    /// match every field that is set.
    public struct EIPFilter: Sendable, Hashable {
        /// One `Tag.N` condition: the key, and the value unless any value will do.
        public struct Tag: Sendable, Hashable {
            public var key: String
            public var value: String?

            public init(key: String, value: String? = nil) {
                self.key = key
                self.value = value
            }
        }

        /// Any of these allocation ids.
        public var allocationIDs: [String]?
        /// Any of these public addresses.
        public var ipAddresses: [String]?
        public var status: CloudEIP.Status?
        /// Bound (or being bound) to this instance (ENI).
        public var associatedInstanceID: String?
        public var bandwidthPackageID: String?
        public var publicIpAddressPoolId: String?
        public var resourceGroupId: String?
        /// Every one of these tags.
        public var tags: [Tag]

        public init(
            allocationIDs: [String]? = nil, ipAddresses: [String]? = nil, status: CloudEIP.Status? = nil,
            associatedInstanceID: String? = nil, bandwidthPackageID: String? = nil, publicIpAddressPoolId: String? = nil,
            resourceGroupId: String? = nil, tags: [Tag] = []
        ) {
            self.allocationIDs = allocationIDs
            self.ipAddresses = ipAddresses
            self.status = status
            self.associatedInstanceID = associatedInstanceID
            self.bandwidthPackageID = bandwidthPackageID
            self.publicIpAddressPoolId = publicIpAddressPoolId
            self.resourceGroupId = resourceGroupId
            self.tags = tags
        }

        func matches(_ eip: CloudEIP) -> Bool {
            if let allocationIDs, !allocationIDs.contains(eip.allocationID) { return false }
            if let ipAddresses, !ipAddresses.contains(eip.ipAddress) { return false }
            if let status, eip.status != status { return false }
            if let associatedInstanceID, eip.instanceID != associatedInstanceID { return false }
            if let bandwidthPackageID, eip.bandwidthPackageID != bandwidthPackageID { return false }
            if let publicIpAddressPoolId, eip.parameters.publicIpAddressPoolId != publicIpAddressPoolId { return false }
            if let resourceGroupId, eip.parameters.resourceGroupId != resourceGroupId { return false }
            for tag in tags {
                guard let value = eip.tags[tag.key] else { return false }
                if let wanted = tag.value, wanted != value { return false }
            }
            return true
        }
    }

    /// One page of a filtered listing, and how many EIPs match in all.
    public struct EIPPage: Sendable, Hashable {
        public var totalCount: Int
        public var eips: [CloudEIP]

        public init(totalCount: Int, eips: [CloudEIP]) {
            self.totalCount = totalCount
            self.eips = eips
        }
    }

    /// The EIPs of this account in `region` that match `filter`, oldest first, page
    /// `pageNumber` (from 1) of `pageSize`, as `DescribeEipAddresses` pages them. Counted and
    /// faulted as ``Action/describe``.
    public func describeEIPs(region: String, filter: EIPFilter, pageNumber: Int, pageSize: Int) async throws -> EIPPage {
        try await perform(.describe) {
            guard pageNumber >= 1, pageSize >= 1 else {
                throw CloudError(.rejected, code: "InvalidParameter", message: "PageNumber and PageSize must be at least 1.")
            }
            let now = Timestamp.now
            let matching = try await database.query(
                "SELECT * FROM sim_eips WHERE account = \(account) AND region = \(region) ORDER BY created_at, allocation_id"
            )
            .map { try SimulatedEIPRecord(row: $0).settled(at: now).cloudEIP }
            .filter(filter.matches)
            let (offset, overflow) = (pageNumber - 1).multipliedReportingOverflow(by: pageSize)
            let page = overflow ? [] : Array(matching.dropFirst(offset).prefix(pageSize))
            return EIPPage(totalCount: matching.count, eips: page)
        }
    }
}

extension SimulatedCloud {
    /// The EIP as any replica sees it now, or `nil`, without counting a call or injecting a
    /// fault: for front-ends (the emulator) that check an EIP before acting on it.
    public func peek(allocationID: String, region: String) async throws -> CloudEIP? {
        try await read(allocationID: allocationID, region: region)?.cloudEIP
    }
}
