public import AsyncHTTPClient
public import EIPCore
import Foundation
public import Logging

/// The broker's ``CloudProvider`` for one Alibaba Cloud account, on the VPC and ECS OpenAPI.
///
/// - `allocate` sends the request's client token as `ClientToken`, so a retry after a lost
///   answer returns the EIP the first call made; the EIP is then tagged (`TagResources`) with
///   every tag of the request.
/// - `associate` and `unassociate` look first, act only when needed ("already in the wanted
///   state" is success), then poll `DescribeEipAddresses` until the EIP settles
///   (``SettlePolicy``). With `force`, an EIP bound elsewhere is unbound first.
/// - `release` takes the EIP out of its bandwidth package first (Alibaba refuses to release it
///   otherwise), and an EIP that is gone counts as released.
/// - Every call is paced per action (``AlibabaRateLimits``) and retried on transient failures
///   (``AlibabaRetryPolicy``); what still fails is thrown as ``CloudError`` with Alibaba's code,
///   message and request id.
///
/// ```swift
/// let provider = AlibabaCloudProvider(configuration: .init(
///     account: "aliyun-prod", credentials: .ecsRAMRole()))
/// let eip = try await provider.allocate(CloudAllocationRequest(
///     region: "cn-hangzhou", parameters: EIPParameters(bandwidth: 5), clientToken: "lease-42",
///     tags: ["eip-broker/lease": "42"]))
/// ```
public struct AlibabaCloudProvider: CloudProvider {
    /// What `AllocateEipAddress` uses for a parameter the request leaves out.
    public static let allocationDefaults = EIPParameters(
        bandwidth: 5, internetChargeType: "PayByBandwidth", instanceChargeType: "PostPaid", isp: "BGP"
    )

    public let configuration: Configuration
    public let vpc: AlibabaVPCClient
    public let ecs: AlibabaECSClient
    public let credentials: AlibabaCredentialProvider
    public let rateLimiter: AlibabaRateLimiter
    let logger: Logger

    public var account: String { configuration.account }

    /// - Parameters:
    ///   - configuration: the account.
    ///   - httpClient: the client for every call (the shared one by default).
    ///   - clock: the time credential expiry is read on and calls are stamped with.
    ///   - logger: where calls, retries and credential refreshes are logged; never a secret.
    public init(
        configuration: Configuration, httpClient: HTTPClient = .shared, clock: WallClock = .system,
        logger: Logger = Logger(label: "eip-broker.alibaba")
    ) {
        let credentials = AlibabaCredentialProvider(
            source: configuration.credentials, httpClient: httpClient, refreshPolicy: configuration.credentialRefresh, clock: clock,
            logger: logger
        )
        self.init(
            configuration: configuration, credentials: credentials, rateLimiter: AlibabaRateLimiter(limits: configuration.rateLimits),
            httpClient: httpClient, logger: logger
        )
    }

    /// A provider sharing credentials and pacing with others of the same account.
    public init(
        configuration: Configuration, credentials: AlibabaCredentialProvider, rateLimiter: AlibabaRateLimiter,
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "eip-broker.alibaba")
    ) {
        var logger = logger
        logger[metadataKey: "cloud.account"] = "\(configuration.account)"
        let rpc = AlibabaRPCClient(httpClient: httpClient, credentials: credentials, configuration: configuration.rpc)
        let api = AlibabaAccountAPI(
            account: configuration.account, rpc: rpc, endpoints: configuration.endpoints, rateLimiter: rateLimiter,
            retryPolicy: configuration.retryPolicy, logger: logger
        )
        self.configuration = configuration
        self.credentials = credentials
        self.rateLimiter = rateLimiter
        self.vpc = AlibabaVPCClient(api: api)
        self.ecs = AlibabaECSClient(api: api)
        self.logger = logger
    }

    // MARK: - Allocation

    public func allocate(_ request: CloudAllocationRequest) async throws -> CloudEIP {
        try await mappingErrors {
            if let violation = request.parameters.violations().first {
                throw CloudError(.rejected, code: "InvalidParameter", message: "\(violation.field) \(violation.rule)")
            }
            let region = self.region(request.region)
            let answer = try await vpc.allocateEipAddress(
                .init(request.parameters, clientToken: request.clientToken.isEmpty ? nil : request.clientToken), region: region
            )
            logger.info(
                "allocated EIP",
                metadata: ["allocationID": "\(answer.allocationID)", "region": "\(region)", "requestID": "\(answer.requestID ?? "-")"]
            )
            if !request.tags.isEmpty {
                try await tagSettling(answer.allocationID, with: request.tags, region: region)
            }
            // What the EIP really got (ISP, charge types, resource group) comes from describing
            // it. The EIP exists either way: when the describe fails, or Alibaba's index has not
            // caught up, the answer and the documented defaults stand in, rather than failing an
            // allocation that was made.
            do {
                if var described = try await lookUp(answer.allocationID, region: region)?.cloudEIP(region: region) {
                    described.tags.merge(request.tags) { described, _ in described }
                    return described
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.info(
                    "describing a new EIP failed; its parameters are taken from the request",
                    metadata: ["allocationID": "\(answer.allocationID)", "error": "\(error)"])
            }
            var parameters = Self.allocationDefaults.overridden(by: request.parameters)
            parameters.resourceGroupId = answer.resourceGroupID ?? parameters.resourceGroupId
            return CloudEIP(
                allocationID: answer.allocationID, ipAddress: answer.ipAddress, region: region, status: .available,
                parameters: parameters, tags: request.tags
            )
        }
    }

    /// `TagResources` on the EIP; a `NotFound` right after allocation (Alibaba's index catching
    /// up) is waited out.
    public func tag(allocationID: String, with tags: [String: String], region: String) async throws {
        try await mappingErrors { try await tagSettling(allocationID, with: tags, region: self.region(region)) }
    }

    private func tagSettling(_ allocationID: String, with tags: [String: String], region: String) async throws {
        try await configuration.settle.wait(for: "tagging \(allocationID)") { () async throws -> SettlePolicy.Verdict<Void> in
            do {
                try await vpc.tagResources(.init(resourceType: "EIP", resourceIDs: [allocationID], tags: tags), region: region)
                return .settled(())
            } catch let error as AlibabaAPIError where error.code.hasSuffix(".NotFound") {
                return .pending
            }
        }
    }

    public func describe(allocationID: String, region: String) async throws -> CloudEIP? {
        try await mappingErrors {
            let region = self.region(region)
            return try await lookUp(allocationID, region: region)?.cloudEIP(region: region)
        }
    }

    public func describeTagged(key: String, value: String, region: String) async throws -> [CloudEIP] {
        try await mappingErrors {
            let region = self.region(region)
            return try await vpc.describeAllEipAddresses(.init(tags: [key: value]), region: region)
                .filter { $0.tags[key] == value }
                .map { try $0.cloudEIP(region: region) }
        }
    }

    public func networkInterface(privateIPAddress: String, networkInterfaceID: String?, region: String, vpcIDs: [String]) async throws
        -> String
    {
        try await mappingErrors {
            guard Validation.isIPv4(privateIPAddress) else {
                throw CloudError(
                    .rejected, code: "InvalidParameter",
                    message: "The private IP address '\(privateIPAddress)' is not a valid IPv4 address.")
            }
            guard !vpcIDs.isEmpty else {
                throw CloudError(
                    .rejected, code: "MissingParameter.VpcId",
                    message: "ENIs are looked up only within the cluster's VPCs, and none are set.")
            }
            let region = self.region(region)
            if let networkInterfaceID {
                guard let eni = try await ecs.networkInterface(id: networkInterfaceID, region: region), let vpc = eni.vpcID,
                    vpcIDs.contains(vpc)
                else {
                    throw CloudError(
                        .notFound, code: "InvalidNetworkInterfaceId.NotFound",
                        message: "The network interface \(networkInterfaceID) is not in VPC \(vpcIDs.joined(separator: ", "))."
                    )
                }
                guard eni.holds(privateIPAddress) else {
                    throw CloudError(
                        .notFound, code: "InvalidPrivateIpAddress.NotFound",
                        message: "The network interface \(networkInterfaceID) does not hold the private IP \(privateIPAddress)."
                    )
                }
                return eni.networkInterfaceID
            }
            for vpc in vpcIDs {
                if let eni = try await ecs.networkInterface(holding: privateIPAddress, vpcID: vpc, region: region) {
                    return eni.networkInterfaceID
                }
            }
            throw CloudError(
                .notFound, code: "InvalidPrivateIpAddress.NotFound",
                message: "No network interface in VPC \(vpcIDs.joined(separator: ", ")) holds the private IP \(privateIPAddress)."
            )
        }
    }

    // MARK: - Release

    public func release(allocationID: String, region: String) async throws {
        try await mappingErrors {
            let region = self.region(region)
            guard var eip = try await lookUp(allocationID, region: region) else { return }
            if let package = eip.bandwidthPackageID {
                guard let left = try await leave(eip, package: package, region: region) else { return }
                eip = left
            }
            switch CloudEIP.Status(rawValue: eip.status) {
            case .available: break
            case .releasing: return
            default:
                throw CloudError(
                    .busy, code: "IncorrectEipStatus",
                    message: "The EIP \(allocationID) is \(eip.status); only an Available EIP can be released."
                )
            }
            do {
                try await vpc.releaseEipAddress(allocationID: allocationID, region: region)
            } catch let error as AlibabaAPIError where error.code == "InvalidAllocationId.NotFound" {
                return
            }
            logger.info("released EIP", metadata: ["allocationID": "\(allocationID)", "region": "\(region)"])
        }
    }

    // MARK: - Bandwidth packages

    /// `DescribeCommonBandwidthPackages`; the IP limit is the account's configured quota
    /// (``Configuration/bandwidthPackageIPLimit``): Alibaba does not report it per package.
    public func describeBandwidthPackage(id: String, region: String) async throws -> CloudBandwidthPackage? {
        try await mappingErrors {
            let region = self.region(region)
            return try await vpc.describeCommonBandwidthPackage(id, region: region).map {
                CloudBandwidthPackage(
                    id: $0.bandwidthPackageID, region: $0.regionID ?? region, isp: $0.isp, bandwidth: $0.bandwidth,
                    allocationIDs: $0.allocationIDs, ipLimit: configuration.bandwidthPackageIPLimit)
            }
        }
    }

    public func joinBandwidthPackage(allocationID: String, bandwidthPackageID: String, region: String) async throws {
        try await mappingErrors {
            let region = self.region(region)
            guard let eip = try await lookUp(allocationID, region: region) else { throw Self.notFound(allocationID) }
            if eip.bandwidthPackageID == bandwidthPackageID { return }
            let request = AlibabaVPCClient.BandwidthPackageIPRequest(
                bandwidthPackageID: bandwidthPackageID, ipInstanceID: allocationID, clientToken: UUID().uuidString
            )
            do {
                try await vpc.addCommonBandwidthPackageIp(request, region: region)
            } catch let error as AlibabaAPIError {
                // A lost answer retried, or another caller: it may be in the package already.
                guard try await lookUp(allocationID, region: region)?.bandwidthPackageID == bandwidthPackageID else { throw error }
                return
            }
            try await configuration.settle.wait(for: "\(allocationID) joining \(bandwidthPackageID)") {
                guard let now = try await lookUp(allocationID, region: region) else { throw Self.notFound(allocationID) }
                return now.bandwidthPackageID == bandwidthPackageID ? .settled(()) : .pending
            }
        }
    }

    public func leaveBandwidthPackage(allocationID: String, bandwidthPackageID: String, region: String) async throws {
        try await mappingErrors {
            let region = self.region(region)
            // An EIP that is gone (released, its answer lost) is in no package.
            guard let eip = try await lookUp(allocationID, region: region), eip.bandwidthPackageID == bandwidthPackageID else { return }
            _ = try await leave(eip, package: bandwidthPackageID, region: region)
        }
    }

    /// Takes the EIP out of `package` and waits until it is out; the EIP as it is then, or
    /// `nil` when it is gone.
    private func leave(_ eip: AlibabaEIPAddress, package: String, region: String) async throws -> AlibabaEIPAddress? {
        let allocationID = eip.allocationID
        let request = AlibabaVPCClient.BandwidthPackageIPRequest(
            bandwidthPackageID: package, ipInstanceID: allocationID, clientToken: UUID().uuidString)
        do {
            try await vpc.removeCommonBandwidthPackageIp(request, region: region)
        } catch let error as AlibabaAPIError {
            guard let now = try await lookUp(allocationID, region: region) else { return nil }
            guard now.bandwidthPackageID != package else { throw error }
            return now
        }
        return try await configuration.settle.wait(for: "\(allocationID) leaving \(package)") {
            guard let now = try await lookUp(allocationID, region: region) else { return .settled(nil) }
            return now.bandwidthPackageID == package ? .pending : .settled(now)
        }
    }

    // MARK: - Support

    /// The EIP with this allocation id, as the cloud describes it now, or `nil`.
    func lookUp(_ allocationID: String, region: String) async throws -> AlibabaEIPAddress? {
        do {
            let page = try await vpc.describeEipAddresses(.init(allocationIDs: [allocationID]), region: region)
            return page.eipAddresses.first { $0.allocationID == allocationID }
        } catch let error as AlibabaAPIError where error.code == "InvalidAllocationId.NotFound" {
            return nil
        }
    }

    func region(_ region: String) -> String {
        region.isEmpty ? configuration.defaultRegion : region
    }

    static func notFound(_ allocationID: String) -> CloudError {
        CloudError(.notFound, code: "InvalidAllocationId.NotFound", message: "The specified EIP \(allocationID) does not exist.")
    }

    /// Runs `body`, turning whatever it throws (but cancellation) into a ``CloudError``.
    func mappingErrors<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as CancellationError {
            throw error
        } catch {
            throw AlibabaErrorMapping.cloudError(error)
        }
    }
}
