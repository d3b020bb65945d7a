import AsyncHTTPClient
import EIPCloudEmulator
import EIPCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import EIPCloud
@testable import EIPTestSupport

/// The Alibaba client stack against the emulator over real HTTP: every VPC and ECS action,
/// signatures V1 and V3, pagination, the provider's full cycle, idempotent allocation across a
/// lost response, retries, pacing, error mapping, and no secret in logs or errors. Plus the
/// pure parts (parameter flattening, endpoints, retry and error classification, the rate
/// limiter) without any I/O.
@Suite("AlibabaClient")
struct AlibabaClientTests {
    static let region = "cn-hangzhou"

    // MARK: - Pure parts

    @Test func flattensListsTagsAndScalars() {
        var parameters: AlibabaRPCParameters = ["RegionId": "cn-hangzhou"]
        parameters.set("Bandwidth", 5)
        parameters.set("Force", true)
        parameters.set("Name", nil as String?)
        parameters.setList("ResourceId", ["eip-1", "eip-2"])
        parameters.setTags(["b": "2", "a": "1"])
        #expect(
            parameters.values == [
                "RegionId": "cn-hangzhou", "Bandwidth": "5", "Force": "true", "ResourceId.1": "eip-1", "ResourceId.2": "eip-2",
                "Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "b", "Tag.2.Value": "2",
            ]
        )
        let describe = AlibabaVPCClient.DescribeEipAddressesRequest(
            allocationIDs: ["eip-1", "eip-2"], tags: ["k": "v"], pageNumber: 2, pageSize: 50)
        #expect(
            describe.parameters.values == [
                "AllocationId": "eip-1,eip-2", "Tag.1.Key": "k", "Tag.1.Value": "v", "PageNumber": "2", "PageSize": "50",
            ])
        let interfaces = AlibabaECSClient.DescribeNetworkInterfacesRequest(privateIPAddresses: ["10.0.0.5"])
        #expect(interfaces.parameters.values == ["PrivateIpAddress.1": "10.0.0.5"])
    }

    @Test func endpointsFollowAlibabasLayoutAndOverrides() {
        let endpoints = AlibabaEndpoints()
        #expect(endpoints.url(for: .vpc, region: "cn-hangzhou").absoluteString == "https://vpc.aliyuncs.com")
        #expect(endpoints.url(for: .vpc, region: "ap-southeast-1").absoluteString == "https://vpc.aliyuncs.com")
        #expect(endpoints.url(for: .vpc, region: "cn-wulanchabu").absoluteString == "https://vpc.cn-wulanchabu.aliyuncs.com")
        #expect(endpoints.url(for: .ecs, region: "cn-hangzhou").absoluteString == "https://ecs.cn-hangzhou.aliyuncs.com")
        #expect(endpoints.url(for: .sts, region: "eu-central-1").absoluteString == "https://sts.aliyuncs.com")
        let local = URL(string: "http://127.0.0.1:9")!
        let special = URL(string: "https://vpc-vpc.cn-beijing.aliyuncs.com")!
        let overridden = AlibabaEndpoints(overrides: [.vpc: local], regionalOverrides: [.vpc: ["cn-beijing": special]])
        #expect(overridden.url(for: .vpc, region: "cn-hangzhou") == local)
        #expect(overridden.url(for: .vpc, region: "cn-beijing") == special)
        #expect(overridden.url(for: .ecs, region: "cn-beijing").absoluteString == "https://ecs.cn-beijing.aliyuncs.com")
    }

    static func apiError(_ code: String, status: Int = 400) -> AlibabaAPIError {
        AlibabaAPIError(code: code, message: "m", requestID: "R", httpStatus: status, action: "AssociateEipAddress")
    }

    @Test func retriesOnlyTransientFailures() {
        let policy = AlibabaRetryPolicy()
        for code in ["Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable", "InternalError", "UnknownError"] {
            #expect(policy.isRetryable(Self.apiError(code), eipOperation: false), "\(code)")
        }
        #expect(policy.isRetryable(Self.apiError("Whatever", status: 502), eipOperation: false))
        for code in ["TaskConflict", "OperationConflict", "IncorrectEipStatus", "SystemBusy", "LastTokenProcessing"] {
            #expect(policy.isRetryable(Self.apiError(code), eipOperation: true), "\(code)")
            #expect(!policy.isRetryable(Self.apiError(code), eipOperation: false), "\(code)")
        }
        for code in ["InvalidAllocationId.NotFound", "QuotaExceeded.Eip", "InvalidParameter", "Forbidden.RAM", "SignatureDoesNotMatch"] {
            #expect(!policy.isRetryable(Self.apiError(code), eipOperation: true), "\(code)")
        }
        #expect(policy.isRetryable(HTTPClientError.connectTimeout, eipOperation: false))
        #expect(!policy.isRetryable(CancellationError(), eipOperation: true))
        #expect(!AlibabaRetryPolicy.none.isRetryable(CloudError(.throttled, code: "Throttling.Local", message: "m"), eipOperation: true))
    }

    @Test func backoffIsBoundedJitteredAndHonoursRetryAfter() {
        let policy = AlibabaRetryPolicy(baseDelay: .milliseconds(100), maximumDelay: .seconds(1))
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...12 {
            let pause = policy.delay(after: attempt, error: Self.apiError("Throttling.User"), using: &generator)
            #expect(pause >= .zero && pause <= min(.milliseconds(100) * (1 << (attempt - 1)), .seconds(1)))
        }
        #expect(policy.delay(after: 1, error: Self.throttled(retryAfter: 3), using: &generator) == .seconds(3))
    }

    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A throttling refusal that asks for `seconds` before the next try.
    static func throttled(retryAfter seconds: Int) -> AlibabaAPIError {
        var error = apiError("Throttling.User")
        error.retryAfter = .seconds(seconds)
        return error
    }

    @Test func theRetryBudgetStartsAtTheFirstFailureNotAtTheCall() async throws {
        // In virtual time: the first attempt spends five minutes, far beyond the 60 s budget,
        // waiting its turn (as in the pacer behind a burst), then is throttled: it is still retried.
        let clock = ManualClock()
        let attempts = Mutex(0)
        let run = Task {
            try await AlibabaRetryPolicy().run(
                action: "AllocateEipAddress", eipOperation: false, clock: ElapsedClock(clock), logger: Self.quiet
            ) {
                attempt in
                attempts.withLock { $0 = attempt }
                if attempt == 1 {
                    clock.advance(by: .seconds(300))
                    throw Self.throttled(retryAfter: 2)
                }
                return "allocated"
            }
        }
        try await clock.advance(by: .seconds(2), once: 1)
        #expect(try await run.value == "allocated")
        #expect(attempts.withLock { $0 } == 2)
    }

    @Test func retriesStopWhenTheNextPauseWouldEndPastTheBudget() async throws {
        // Refused every time with "retry after 25 s": tries at 0 s, 25 s and 50 s; a fourth at
        // 75 s would end past the 60 s budget, so the third refusal is the answer.
        let clock = ManualClock()
        let attempts = Mutex(0)
        let run = Task {
            try await AlibabaRetryPolicy(maximumAttempts: 10).run(
                action: "AssociateEipAddress", eipOperation: true, clock: ElapsedClock(clock), logger: Self.quiet
            ) { attempt -> String in
                attempts.withLock { $0 = attempt }
                throw Self.throttled(retryAfter: 25)
            }
        }
        try await clock.advance(by: .seconds(25), once: 1)
        try await clock.advance(by: .seconds(25), once: 1)
        let error = await #expect(throws: AlibabaAPIError.self) { try await run.value }
        #expect(error?.code == "Throttling.User")
        #expect(attempts.withLock { $0 } == 3)
        #expect(clock.now.offset == .seconds(50))
    }

    @Test func mapsFinalErrorsToCloudErrorKinds() {
        let cases: [(String, Int, CloudError.Kind)] = [
            ("Throttling.User", 400, .throttled), ("Throttling", 503, .throttled),
            ("IncorrectEipStatus", 400, .busy), ("TaskConflict", 400, .busy), ("OperationConflict", 400, .busy),
            ("InvalidAllocationId.NotFound", 404, .notFound), ("QuotaExceeded.Eip", 400, .quotaExceeded),
            ("ServiceUnavailable", 503, .unavailable), ("InternalError", 500, .unavailable), ("Odd", 502, .unavailable),
            ("InvalidParameter", 400, .rejected), ("Forbidden.RAM", 403, .rejected), ("SignatureDoesNotMatch", 400, .rejected),
        ]
        for (code, status, kind) in cases {
            var error = Self.apiError(code, status: status)
            error.retryAfter = .milliseconds(1500)
            let mapped = AlibabaErrorMapping.cloudError(error)
            #expect(mapped.kind == kind, "\(code)")
            #expect(mapped.code == code && mapped.message == "m" && mapped.requestID == "R" && mapped.retryAfterMilliseconds == 1500)
        }
        #expect(AlibabaErrorMapping.cloudError(HTTPClientError.deadlineExceeded).kind == .unavailable)
        #expect(AlibabaErrorMapping.cloudError(AlibabaCredentialError(.unavailable, "down")).kind == .unavailable)
        #expect(AlibabaErrorMapping.cloudError(AlibabaCredentialError(.refused, "no")).kind == .rejected)
    }

    @Test func scrubsSecretsFromCloudMessages() {
        let token = "CAIS+abc/def=="
        let message =
            "server string to sign is:POST&%2F&AccessKeyId%3DSTS.x%26SecurityToken%3D\(AlibabaSignature.percentEncode(AlibabaSignature.percentEncode(token))) raw \(token) secret s3cr3tValue"
        let scrubbed = AlibabaRPCClient.scrub(message, secrets: [token, "s3cr3tValue"])
        #expect(!scrubbed.contains(token) && !scrubbed.contains("s3cr3tValue"))
        #expect(!scrubbed.contains(AlibabaSignature.percentEncode(token)))
        #expect(scrubbed.contains("<redacted>"))
    }

    @Test func rateLimiterRefusesAWaitBeyondItsBound() async throws {
        let limiter = AlibabaRateLimiter(
            limits: AlibabaRateLimits(actions: ["AllocateEipAddress": .perMinute(1, burst: 1)], maximumWait: .seconds(1))
        )
        try await limiter.acquire(account: "a", region: Self.region, action: "AllocateEipAddress")
        let error = await #expect(throws: CloudError.self) {
            try await limiter.acquire(account: "a", region: Self.region, action: "AllocateEipAddress")
        }
        #expect(error?.kind == .throttled && error?.code == "Throttling.Local")
        #expect((error?.retryAfterMilliseconds ?? 0) > 1000)
        // Other accounts, regions and actions have buckets of their own.
        try await limiter.acquire(account: "b", region: Self.region, action: "AllocateEipAddress")
        try await limiter.acquire(account: "a", region: "cn-beijing", action: "AllocateEipAddress")
        try await limiter.acquire(account: "a", region: Self.region, action: "DescribeEipAddresses")
    }

    @Test func rateLimiterWaitIsCancellable() async throws {
        let limiter = AlibabaRateLimiter(limits: AlibabaRateLimits(defaultRate: .perMinute(1, burst: 1), maximumWait: .seconds(600)))
        try await limiter.acquire(account: "a", region: Self.region, action: "TagResources")
        let waiter = Task { try await limiter.acquire(account: "a", region: Self.region, action: "TagResources") }
        // Bounded poll until the waiter is queued, then cancel it.
        for _ in 0..<2000 where await limiter.waitCounts.isEmpty {
            await Task.yield()
        }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    @Test func rateLimiterPacesWithoutRefusingQueuedCalls() async throws {
        // 600/min with a burst of 2: the third and fourth calls wait their turn instead of failing.
        let limiter = AlibabaRateLimiter(limits: AlibabaRateLimits(defaultRate: .perMinute(600, burst: 2)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await limiter.acquire(account: "a", region: Self.region, action: "TagResources") }
            }
            try await group.waitForAll()
        }
        #expect(await limiter.waitCounts.values.reduce(0, +) == 2)
    }

    // MARK: - Over HTTP: the typed clients

    /// Every way of signing and placing parameters the client supports.
    static let wireModes: [AlibabaRPCClient.Configuration] = [
        .init(signatureVersion: .v3, parameterLocation: .query),
        .init(signatureVersion: .v3, parameterLocation: .formBody),
        .init(signatureVersion: .v1, parameterLocation: .query),
        .init(signatureVersion: .v1, parameterLocation: .formBody),
    ]

    @Test(arguments: wireModes)
    func everyActionOverHTTP(_ wire: AlibabaRPCClient.Configuration) async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider { $0.rpc = wire }
            let vpc = provider.vpc
            let region = Self.region

            // AllocateEipAddress, idempotent on ClientToken.
            let first = try await vpc.allocateEipAddress(
                .init(bandwidth: 10, isp: "BGP", name: "one", clientToken: "token-1"), region: region)
            let again = try await vpc.allocateEipAddress(
                .init(bandwidth: 10, isp: "BGP", name: "one", clientToken: "token-1"), region: region)
            #expect(first.allocationID.hasPrefix("eip-") && again.allocationID == first.allocationID && first.requestID != nil)

            // AllocateEipAddressPro for a given address.
            let pro = try await vpc.allocateEipAddressPro(.init(ipAddress: "198.19.200.7"), region: region)
            #expect(pro.ipAddress == "198.19.200.7")

            // TagResources, and DescribeEipAddresses by id shows the tags.
            try await vpc.tagResources(
                .init(resourceIDs: [first.allocationID, pro.allocationID], tags: ["eip-broker/test": "actions", "k": "v w*~"]),
                region: region)
            let byID = try await vpc.describeEipAddresses(.init(allocationIDs: [first.allocationID]), region: region)
            #expect(byID.totalCount == 1)
            let described = try #require(byID.eipAddresses.first)
            #expect(described.status == "Available" && described.bandwidth == 10 && described.name == "one")
            #expect(described.tags == ["eip-broker/test": "actions", "k": "v w*~"])

            // DescribeNetworkInterfaces by primary and by secondary private IP.
            let byPrimary = try await provider.ecs.describeNetworkInterfaces(.init(primaryIPAddress: "10.1.0.5"), region: region)
            let bySecondary = try await provider.ecs.describeNetworkInterfaces(.init(privateIPAddresses: ["10.1.0.5"]), region: region)
            let eni = try #require(byPrimary.networkInterfaces.first)
            #expect(eni.networkInterfaceID.hasPrefix("eni-") && eni.holds("10.1.0.5"))
            #expect(bySecondary.networkInterfaces.map(\.networkInterfaceID) == [eni.networkInterfaceID])
            #expect(eni.privateIPs.first?.isPrimary == true)

            // AssociateEipAddress (asynchronous: Associating, then InUse).
            try await vpc.associateEipAddress(
                .init(allocationID: first.allocationID, instanceID: eni.networkInterfaceID, privateIPAddress: "10.1.0.5"), region: region
            )
            let bound = try await fixture.waitForStatus("InUse", of: first.allocationID, vpc: vpc)
            #expect(
                bound.instanceID == eni.networkInterfaceID && bound.privateIPAddress == "10.1.0.5"
                    && bound.instanceType == "NetworkInterface")
            let withEIP = try await provider.ecs.describeNetworkInterfaces(
                .init(networkInterfaceIDs: [eni.networkInterfaceID]), region: region)
            #expect(withEIP.networkInterfaces.first?.privateIPs.first?.associatedAllocationID == first.allocationID)

            // UnassociateEipAddress.
            try await vpc.unassociateEipAddress(
                .init(allocationID: first.allocationID, instanceID: eni.networkInterfaceID, instanceType: "NetworkInterface"),
                region: region
            )
            let unbound = try await fixture.waitForStatus("Available", of: first.allocationID, vpc: vpc)
            #expect(unbound.instanceID == nil)

            // AddCommonBandwidthPackageIp / RemoveCommonBandwidthPackageIp.
            let package = AlibabaVPCClient.BandwidthPackageIPRequest(
                bandwidthPackageID: "cbwp-actions", ipInstanceID: first.allocationID, clientToken: "join-1")
            try await vpc.addCommonBandwidthPackageIp(package, region: region)
            let joined = try await vpc.describeEipAddresses(.init(bandwidthPackageID: "cbwp-actions"), region: region)
            #expect(joined.eipAddresses.map(\.allocationID) == [first.allocationID])
            try await vpc.removeCommonBandwidthPackageIp(package, region: region)
            #expect(try await vpc.describeEipAddresses(.init(bandwidthPackageID: "cbwp-actions"), region: region).totalCount == 0)

            // ReleaseEipAddress.
            try await vpc.releaseEipAddress(allocationID: first.allocationID, region: region)
            try await vpc.releaseEipAddress(allocationID: pro.allocationID, region: region)
            #expect(
                try await vpc.describeEipAddresses(.init(allocationIDs: [first.allocationID, pro.allocationID]), region: region).totalCount
                    == 0)

            for action in [
                "AllocateEipAddress", "AllocateEipAddressPro", "TagResources", "DescribeEipAddresses", "AssociateEipAddress",
                "UnassociateEipAddress", "AddCommonBandwidthPackageIp", "RemoveCommonBandwidthPackageIp", "ReleaseEipAddress",
                "DescribeNetworkInterfaces",
            ] {
                #expect(fixture.emulator.stats.requests(of: action) > 0, "\(action)")
            }
            #expect(fixture.emulator.stats.snapshot.errors.isEmpty, "\(fixture.emulator.stats.snapshot.errors)")
        }
    }

    @Test func describeReadsEveryPage() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let vpc = fixture.provider().vpc
            var ids: [String] = []
            for index in 0..<5 {
                let eip = try await vpc.allocateEipAddress(.init(clientToken: "page-\(index)"), region: Self.region)
                ids.append(eip.allocationID)
            }
            try await vpc.tagResources(.init(resourceIDs: Array(ids.prefix(4)), tags: ["eip-broker/pool": "paged"]), region: Self.region)

            let firstPage = try await vpc.describeEipAddresses(.init(pageNumber: 1, pageSize: 2), region: Self.region)
            #expect(firstPage.totalCount == 5 && firstPage.eipAddresses.count == 2 && firstPage.pageSize == 2)

            let before = fixture.emulator.stats.requests(of: "DescribeEipAddresses")
            let all = try await vpc.describeAllEipAddresses(.init(pageSize: 2), region: Self.region)
            #expect(Set(all.map(\.allocationID)) == Set(ids) && all.count == 5)
            #expect(fixture.emulator.stats.requests(of: "DescribeEipAddresses") - before == 3)

            let tagged = try await fixture.provider().describeTagged(key: "eip-broker/pool", value: "paged", region: Self.region)
            #expect(Set(tagged.map(\.allocationID)) == Set(ids.prefix(4)))
            let taggedPaged = try await vpc.describeAllEipAddresses(
                .init(tags: ["eip-broker/pool": "paged"], pageSize: 3), region: Self.region)
            #expect(taggedPaged.count == 4)
        }
    }

    // MARK: - Over HTTP: the provider

    @Test func providerFullCycle() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider()
            let tags = [
                "eip-broker/owner": "broker-1", "eip-broker/cluster": "c1", "eip-broker/namespace": "default", "eip-broker/pod": "web-0",
                "eip-broker/lease": "lease-1",
            ]
            let eip = try await provider.allocate(
                CloudAllocationRequest(
                    region: Self.region, parameters: EIPParameters(bandwidth: 20, isp: "BGP"), clientToken: "lease-1", tags: tags)
            )
            #expect(eip.status == .available && eip.parameters.bandwidth == 20 && eip.parameters.internetChargeType == "PayByBandwidth")
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region)?.tags == tags)
            #expect(
                try await provider.describeTagged(key: "eip-broker/owner", value: "broker-1", region: Self.region).map(\.allocationID) == [
                    eip.allocationID
                ])

            let eni = try await provider.networkInterface(
                privateIPAddress: "10.2.0.9", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            try await provider.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "10.2.0.9", region: Self.region, force: false)
            let inUse = try #require(try await provider.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(inUse.status == .inUse && inUse.instanceID == eni && inUse.privateIPAddress == "10.2.0.9")
            // Already in the wanted state: success, and no second AssociateEipAddress.
            let associations = fixture.emulator.stats.requests(of: "AssociateEipAddress")
            try await provider.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "10.2.0.9", region: Self.region, force: false)
            #expect(fixture.emulator.stats.requests(of: "AssociateEipAddress") == associations)

            try await provider.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-cycle", region: Self.region)
            try await provider.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-cycle", region: Self.region)
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region)?.bandwidthPackageID == "cbwp-cycle")

            try await provider.unassociate(allocationID: eip.allocationID, region: Self.region)
            try await provider.unassociate(allocationID: eip.allocationID, region: Self.region)
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region)?.status == .available)

            try await provider.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-cycle", region: Self.region)
            try await provider.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-cycle", region: Self.region)
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region)?.bandwidthPackageID == nil)

            // Release leaves the package first: Alibaba refuses to release an EIP inside one.
            try await provider.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-cycle", region: Self.region)
            try await provider.release(allocationID: eip.allocationID, region: Self.region)
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region) == nil)
            #expect(fixture.emulator.stats.requests(of: "RemoveCommonBandwidthPackageIp") == 2)
            // Gone already: success.
            try await provider.release(allocationID: eip.allocationID, region: Self.region)
            #expect(fixture.emulator.stats.errors(withCode: "OperationFailed.EipInCbwp") == 0)
        }
    }

    @Test func robbingABoundEIPNeedsForce() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider()
            let eip = try await provider.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "rob", tags: [:]))
            let first = try await provider.networkInterface(
                privateIPAddress: "10.3.0.1", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            let second = try await provider.networkInterface(
                privateIPAddress: "10.3.0.2", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            try await provider.associate(
                allocationID: eip.allocationID, networkInterfaceID: first, privateIPAddress: "10.3.0.1", region: Self.region, force: false)

            let refused = await #expect(throws: CloudError.self) {
                try await provider.associate(
                    allocationID: eip.allocationID, networkInterfaceID: second, privateIPAddress: "10.3.0.2", region: Self.region,
                    force: false)
            }
            #expect(refused?.kind == .inUseElsewhere)

            try await provider.associate(
                allocationID: eip.allocationID, networkInterfaceID: second, privateIPAddress: "10.3.0.2", region: Self.region, force: true)
            let now = try #require(try await provider.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(now.status == .inUse && now.instanceID == second && now.privateIPAddress == "10.3.0.2")
        }
    }

    @Test func droppedAllocateResponseYieldsExactlyOneEIP() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider()
            fixture.emulator.faults.dropResponseNext("AllocateEipAddress")
            let request = CloudAllocationRequest(
                region: Self.region, parameters: EIPParameters(bandwidth: 5), clientToken: "lease-dropped",
                tags: ["eip-broker/lease": "dropped"]
            )
            let eip = try await provider.allocate(request)
            #expect(fixture.emulator.stats.requests(of: "AllocateEipAddress") == 2)
            #expect(fixture.emulator.stats.errors(withCode: "ServiceUnavailable") == 1)
            let all = try await provider.vpc.describeAllEipAddresses(.init(), region: Self.region)
            #expect(all.map(\.allocationID) == [eip.allocationID])
            #expect(all.first?.tags == ["eip-broker/lease": "dropped"])
            // The reconciler retrying the whole allocation still gets the same EIP.
            #expect(try await provider.allocate(request).allocationID == eip.allocationID)
            #expect(try await provider.vpc.describeAllEipAddresses(.init(), region: Self.region).count == 1)
        }
    }

    @Test func lostResponsesOfEveryChangeAreHarmless() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider()
            let faults = fixture.emulator.faults
            for action in [
                "TagResources", "AssociateEipAddress", "UnassociateEipAddress", "AddCommonBandwidthPackageIp",
                "RemoveCommonBandwidthPackageIp",
                "ReleaseEipAddress",
            ] {
                faults.dropResponseNext(action)
            }
            let eip = try await provider.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "lost", tags: ["a": "b"]))
            let eni = try await provider.networkInterface(
                privateIPAddress: "10.6.0.1", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            try await provider.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "10.6.0.1", region: Self.region, force: false)
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region)?.status == .inUse)
            try await provider.unassociate(allocationID: eip.allocationID, region: Self.region)
            try await provider.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-lost", region: Self.region)
            try await provider.leaveBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-lost", region: Self.region)
            let settled = try #require(try await provider.describe(allocationID: eip.allocationID, region: Self.region))
            #expect(settled.status == .available && settled.bandwidthPackageID == nil && settled.tags == ["a": "b"])
            try await provider.release(allocationID: eip.allocationID, region: Self.region)
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region) == nil)
            // Every lost answer was drawn, and none left a failure behind.
            #expect(fixture.emulator.stats.errors(withCode: "ServiceUnavailable") == 6)
            #expect(faults.settings.dropResponseNext?.isEmpty ?? true)
        }
    }

    @Test func retriesInjected503sAndThrottlingUntilTheySucceed() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            // The client paces far above the emulator's limit, so the emulator has to refuse.
            let provider = fixture.provider { $0.rateLimits = AlibabaRateLimits(actions: [:], defaultRate: .perMinute(60_000)) }
            let faults = fixture.emulator.faults
            faults.failNext("DescribeEipAddresses", count: 2)
            faults.failNext("AssociateEipAddress")
            faults.failNext("TagResources")
            // One token every 10 s: the second and third allocations are refused at once, however
            // slow the machine, and succeed after the cloud's x-acs-retry-after.
            faults.throttle("AllocateEipAddress", ThrottleLimit(perMinute: 6, burst: 1))

            var eips: [CloudEIP] = []
            for index in 0..<3 {
                eips.append(
                    try await provider.allocate(
                        CloudAllocationRequest(
                            region: Self.region, parameters: EIPParameters(), clientToken: "retry-\(index)", tags: ["t": "\(index)"])
                    )
                )
            }
            #expect(Set(eips.map(\.allocationID)).count == 3)
            #expect(fixture.emulator.stats.throttled(of: "AllocateEipAddress") >= 1)

            let eni = try await provider.networkInterface(
                privateIPAddress: "10.4.0.1", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            try await provider.associate(
                allocationID: eips[0].allocationID, networkInterfaceID: eni, privateIPAddress: "10.4.0.1", region: Self.region, force: false
            )
            #expect(try await provider.describe(allocationID: eips[0].allocationID, region: Self.region)?.status == .inUse)
            #expect(fixture.emulator.stats.errors(withCode: "ServiceUnavailable") == 4)
        }
    }

    @Test func clientPacingKeepsBelowTheCloudsQuota() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            // The same quota on both sides: the client waits its turn and the cloud never refuses.
            // The client paces at half the cloud's rate, and the cloud tolerates a burst of 3, so
            // scheduling jitter on a loaded machine cannot bunch calls into a refusal.
            fixture.emulator.faults.throttle("AllocateEipAddress", ThrottleLimit(perMinute: 600, burst: 3))
            let provider = fixture.provider {
                $0.rateLimits = AlibabaRateLimits(actions: ["AllocateEipAddress": .perMinute(300, burst: 1)])
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        _ = try await provider.allocate(
                            CloudAllocationRequest(
                                region: Self.region, parameters: EIPParameters(), clientToken: "paced-\(index)", tags: [:])
                        )
                    }
                }
                try await group.waitForAll()
            }
            #expect(fixture.emulator.stats.requests(of: "AllocateEipAddress") == 12)
            #expect(fixture.emulator.stats.throttled(of: "AllocateEipAddress") == 0)
            #expect(await provider.rateLimiter.waitCounts.values.reduce(0, +) >= 10)
        }
    }

    @Test func aBurstOfAllocationsUnderTheDocumentedQuotaAllSucceed() async throws {
        // The emulator enforces Alibaba's documented 120/min on AllocateEipAddress; the provider
        // runs with its defaults (the documented quotas, paced at 90%) and 100 allocations at
        // once. The emulator's bucket holds 5 calls so that scheduling jitter on a loaded machine
        // (calls paced apart but sent together) is not read as the client overrunning the quota.
        try await AlibabaEmulatorFixture.with(configure: { $0.throttles["AllocateEipAddress"] = ThrottleLimit(perMinute: 120, burst: 5) }) {
            fixture in
            let provider = fixture.provider()
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        try await provider.allocate(
                            CloudAllocationRequest(
                                region: Self.region, parameters: EIPParameters(), clientToken: "burst-\(index)", tags: ["burst": "1"])
                        ).allocationID
                    }
                }
                var ids: Set<String> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids.count == 100)
            #expect(try await provider.describeTagged(key: "burst", value: "1", region: Self.region).count == 100)
            let refusals = fixture.emulator.stats.throttled(of: "AllocateEipAddress")
            let waits = await provider.rateLimiter.waitCounts.values.reduce(0, +)
            #expect(waits >= 90)
            print(
                "burst of 100 AllocateEipAddress at 120/min: \(refusals) Throttling.User refusals drawn, \(waits) calls paced by the client"
            )
        }
    }

    @Test func finalErrorsAreMappedWithTheCloudsCodeAndRequestID() async throws {
        try await AlibabaEmulatorFixture.with(configure: { $0.eipQuota = 1 }) { fixture in
            let provider = fixture.provider {
                $0.retryPolicy = AlibabaRetryPolicy(
                    maximumAttempts: 2, baseDelay: .milliseconds(5), maximumDelay: .milliseconds(20), maximumElapsed: .seconds(5))
            }
            let missing = "eip-doesnotexist0000000"
            #expect(try await provider.describe(allocationID: missing, region: Self.region) == nil)
            try await provider.release(allocationID: missing, region: Self.region)

            let notFound = await Self.cloudError { try await provider.unassociate(allocationID: missing, region: Self.region) }
            #expect(notFound?.kind == .notFound && notFound?.code == "InvalidAllocationId.NotFound")

            let eip = try await provider.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "q-1", tags: [:]))
            let quota = await Self.cloudError {
                _ = try await provider.allocate(
                    CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "q-2", tags: [:]))
            }
            #expect(quota?.kind == .quotaExceeded && quota?.code == "QuotaExceeded.Eip" && quota?.requestID != nil)

            let bad = await Self.cloudError {
                _ = try await provider.vpc.allocateEipAddress(.init(bandwidth: 999_999, clientToken: "bad"), region: Self.region)
            }
            #expect(bad?.kind == .rejected && bad?.code.hasPrefix("InvalidParameter") == true)

            fixture.emulator.faults.failNext("DescribeEipAddresses", count: 2)
            let unavailable = await Self.cloudError { _ = try await provider.describe(allocationID: eip.allocationID, region: Self.region) }
            #expect(unavailable?.kind == .unavailable && unavailable?.code == "ServiceUnavailable" && unavailable?.requestID != nil)

            fixture.emulator.faults.throttle("DescribeEipAddresses", ThrottleLimit(perMinute: 1, burst: 1))
            _ = try await provider.describe(allocationID: eip.allocationID, region: Self.region)
            let throttled = await Self.cloudError { _ = try await provider.describe(allocationID: eip.allocationID, region: Self.region) }
            #expect(throttled?.kind == .throttled && throttled?.code == "Throttling.User" && (throttled?.retryAfterMilliseconds ?? 0) > 0)
            fixture.emulator.faults.throttle("DescribeEipAddresses", nil)

            // In a bandwidth package, ReleaseEipAddress itself is refused (the provider leaves first).
            try await provider.joinBandwidthPackage(allocationID: eip.allocationID, bandwidthPackageID: "cbwp-final", region: Self.region)
            let inPackage = await Self.cloudError {
                try await provider.vpc.releaseEipAddress(allocationID: eip.allocationID, region: Self.region)
            }
            #expect(inPackage?.kind == .rejected && inPackage?.code == "OperationFailed.EipInCbwp")

            let local = await Self.cloudError {
                _ = try await provider.networkInterface(
                    privateIPAddress: "not-an-ip", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            }
            #expect(local?.kind == .rejected)
            let region = await Self.cloudError {
                _ = try await provider.describe(allocationID: eip.allocationID, region: "cn-hangzhou/../x")
            }
            #expect(region?.kind == .rejected && region?.code == "InvalidRegionId.Malformed")
        }
    }

    @Test func wrongSecretIsRejectedAndNeverEchoed() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let wrongSecret = "WrongSecretValueThatMustNotLeak"
            let provider = fixture.provider(credentials: .accessKey(id: EmulatorConfiguration.testAccessKeyID, secret: wrongSecret))
            for wire in Self.wireModes {
                let client = AlibabaRPCClient(credentials: provider.credentials, configuration: wire)
                let request = AlibabaRPCRequest(
                    endpoint: URL(string: fixture.running.url)!, version: AlibabaProduct.vpc.version, action: "DescribeEipAddresses",
                    parameters: ["RegionId": Self.region]
                )
                let error = await #expect(throws: AlibabaAPIError.self) {
                    _ = try await client.call(request, logger: fixture.logs.logger())
                }
                #expect(error?.code == "SignatureDoesNotMatch" && error?.httpStatus == 400)
                #expect(!"\(String(describing: error))".contains(wrongSecret))
            }
            let mapped = await Self.cloudError { _ = try await provider.describe(allocationID: "eip-x", region: Self.region) }
            #expect(mapped?.kind == .rejected && mapped?.code == "SignatureDoesNotMatch")
            #expect(!"\(String(describing: mapped))".contains(wrongSecret))
            #expect(!fixture.logs.text.contains(wrongSecret))
        }
    }

    @Test func noSecretReachesLogsOrErrors() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider(credentials: .ecsRAMRole(metadataEndpoint: URL(string: fixture.running.url)!))
            let credentials = try await provider.credentials.credentials()
            let secrets = [credentials.accessKeySecret, try #require(credentials.securityToken), EmulatorConfiguration.testAccessKeySecret]

            fixture.emulator.faults.failNext("AllocateEipAddress")
            let eip = try await provider.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "logs", tags: ["a": "b"]))
            let eni = try await provider.networkInterface(
                privateIPAddress: "10.5.0.1", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            try await provider.associate(
                allocationID: eip.allocationID, networkInterfaceID: eni, privateIPAddress: "10.5.0.1", region: Self.region, force: false)
            try await provider.unassociate(allocationID: eip.allocationID, region: Self.region)
            try await provider.release(allocationID: eip.allocationID, region: Self.region)
            var errors: [String] = []
            if let error = await Self.cloudError({
                try await provider.unassociate(allocationID: "eip-missing000000000000", region: Self.region)
            }) {
                errors.append("\(error)")
            }
            errors.append("\(credentials)")
            errors.append(String(reflecting: credentials))
            var dumped = ""
            dump(credentials, to: &dumped)
            errors.append(dumped)
            errors.append("\(provider.configuration)")

            #expect(fixture.logs.count > 0)
            for secret in secrets {
                #expect(!fixture.logs.text.contains(secret))
                #expect(!fixture.logs.text.contains(AlibabaSignature.percentEncode(secret)))
                for text in errors { #expect(!text.contains(secret)) }
            }
        }
    }

    /// The ``CloudError`` `body` throws, or `nil` (recorded as an issue) when it throws none.
    static func cloudError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async -> CloudError? {
        do {
            try await body()
            Issue.record("expected a CloudError", sourceLocation: sourceLocation)
            return nil
        } catch let error as CloudError {
            return error
        } catch let error as AlibabaAPIError {
            return AlibabaErrorMapping.cloudError(error)
        } catch {
            Issue.record("expected a CloudError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}
