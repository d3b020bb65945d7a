import AsyncHTTPClient
import EIPCloud
import EIPCloudEmulator
import EIPCloudSimulated
import EIPCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import EIPTestSupport

/// The Alibaba Cloud OpenAPI emulator over real HTTP on a loopback port, called with requests
/// signed by hand with ``AlibabaSignature``: signatures, timestamps, nonces, response shapes,
/// paging, asynchronous association, throttling, faults, the metadata service and STS.
@Suite("CloudEmulator")
struct CloudEmulatorTests {
    static let region = "cn-hangzhou"
    static let vpc = EmulatorCaller.vpcVersion
    static let ecs = EmulatorCaller.ecsVersion
    static let sts = EmulatorCaller.stsVersion

    /// Runs `body` against a new in-process emulator (in-memory SQLite, port 0), then stops it
    /// and checks that the access key secret never reached its logs.
    static func withEmulator<Result: Sendable>(
        configure: (inout EmulatorConfiguration) -> Void = { _ in },
        _ body: (InProcessCloudEmulator, EmulatorCaller, CapturedLogs) async throws -> Result
    ) async throws -> Result {
        var configuration = EmulatorConfiguration()
        configuration.port = 0
        configure(&configuration)
        let logs = CapturedLogs()
        let running = try await InProcessCloudEmulator.start(
            configuration: configuration, logger: logs.logger(label: "emulator", level: .trace))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let caller = EmulatorCaller(url: running.url, client: client)
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body(running, caller, logs))
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        await running.stop()
        #expect(!logs.text.contains(configuration.accessKeySecret))
        return try outcome.get()
    }

    /// Polls `condition` with growing pauses (10 ms to 200 ms) until it holds or 30 s pass.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        var pause = Duration.milliseconds(10)
        while clock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(200))
        }
        Issue.record("timed out waiting until \(what)")
    }

    static func allocate(_ caller: EmulatorCaller, _ extra: [String: String] = [:], style: EmulatorCaller.Style = .v3Query) async throws
        -> (id: String, ip: String)
    {
        let reply = try await caller.call("AllocateEipAddress", ["RegionId": region].merging(extra) { $1 }, style: style)
        try #require(reply.status == 200, "\(reply.text)")
        return (try #require(reply["AllocationId"]), try #require(reply["EipAddress"]))
    }

    static func eips(_ reply: TestResponse) -> [[String: Any]] {
        (reply.object["EipAddresses"] as? [String: Any])?["EipAddress"] as? [[String: Any]] ?? []
    }

    static func describeOne(_ caller: EmulatorCaller, _ allocationID: String) async throws -> [String: Any] {
        let reply = try await caller.call("DescribeEipAddresses", ["RegionId": region, "AllocationId": allocationID])
        try #require(reply.status == 200, "\(reply.text)")
        return try #require(eips(reply).first)
    }

    static func expectError(_ reply: TestResponse, status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply["Code"] == code, "\(reply.text)", sourceLocation: sourceLocation)
        for key in ["RequestId", "HostId", "Message", "Recommend"] {
            #expect(reply.object[key] is String, "no \(key) in \(reply.text)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Signatures

    @Test(arguments: EmulatorCaller.Style.allCases)
    func signedCallsSucceed(_ style: EmulatorCaller.Style) async throws {
        try await Self.withEmulator { running, caller, _ in
            let parameters = [
                "RegionId": Self.region, "Bandwidth": "10", "InternetChargeType": "PayByTraffic", "ISP": "BGP_PRO",
                "Name": "web 0*~/+=&", "Description": "中文 é", "ClientToken": "token-\(style)",
            ]
            let (id, ip) = try await Self.allocate(caller, parameters, style: style)
            #expect(id.hasPrefix("eip-"))
            #expect(SimulatedCloud.isSimulatedPublicAddress(ip))
            // The same client token gives the same EIP.
            #expect(try await Self.allocate(caller, parameters, style: style) == (id, ip))

            let reply = try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "AllocationId": id], style: style)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.headers.first(name: "x-acs-request-id") == reply["RequestId"])
            #expect(reply.object["TotalCount"] as? Int == 1)
            let eip = try #require(Self.eips(reply).first)
            #expect(eip["AllocationId"] as? String == id)
            #expect(eip["IpAddress"] as? String == ip)
            #expect(eip["Status"] as? String == "Available")
            #expect(eip["Bandwidth"] as? String == "10")
            #expect(eip["InternetChargeType"] as? String == "PayByTraffic")
            #expect(eip["ISP"] as? String == "BGP_PRO")
            #expect(eip["Name"] as? String == "web 0*~/+=&")
            #expect(eip["Description"] as? String == "中文 é")
            #expect(running.emulator.stats.requests(of: "AllocateEipAddress") == 2)
        }
    }

    @Test(arguments: EmulatorCaller.Style.allCases)
    func wrongSecretOrUnknownKeyIsRefused(_ style: EmulatorCaller.Style) async throws {
        try await Self.withEmulator { running, caller, _ in
            var wrong = caller
            wrong.accessKeySecret = "not-the-secret"
            Self.expectError(
                try await wrong.call("DescribeEipAddresses", ["RegionId": Self.region], style: style), status: 400,
                code: "SignatureDoesNotMatch")
            var unknown = caller
            unknown.accessKeyID = "LTAI-unknown"
            Self.expectError(
                try await unknown.call("DescribeEipAddresses", ["RegionId": Self.region], style: style), status: 404,
                code: "InvalidAccessKeyId.NotFound"
            )
            #expect(running.emulator.stats.errors(withCode: "SignatureDoesNotMatch") == 1)
        }
    }

    @Test func tamperedRequestsAreRefused() async throws {
        try await Self.withEmulator { _, caller, _ in
            // A parameter changed after signing (V1): the signature no longer matches.
            var parameters = [
                "RegionId": Self.region, "Action": "DescribeEipAddresses", "Version": Self.vpc, "Format": "JSON",
                "AccessKeyId": caller.accessKeyID, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
                "SignatureNonce": UUID().uuidString, "Timestamp": EmulatorCaller.timestamp(Date()),
            ]
            parameters["Signature"] = AlibabaSignature.signatureV1(
                method: "GET", parameters: parameters, accessKeySecret: caller.accessKeySecret)
            parameters["PageSize"] = "50"
            Self.expectError(
                try await caller.plain(.GET, "/?" + EmulatorCaller.form(parameters)), status: 400, code: "SignatureDoesNotMatch")
            // Signed for GET, sent as POST.
            parameters["PageSize"] = nil
            parameters["SignatureNonce"] = UUID().uuidString
            parameters["Signature"] = AlibabaSignature.signatureV1(
                method: "GET", parameters: parameters, accessKeySecret: caller.accessKeySecret)
            Self.expectError(try await caller.plain(.POST, "/", form: parameters), status: 400, code: "SignatureDoesNotMatch")
            // Missing signature, unknown action, unknown version, wrong region.
            Self.expectError(
                try await caller.plain(.GET, "/?Action=DescribeEipAddresses&Version=\(Self.vpc)"), status: 400, code: "MissingParameter")
            Self.expectError(
                try await caller.call("DescribeEverything", ["RegionId": Self.region]), status: 404, code: "InvalidAction.NotFound")
            Self.expectError(
                try await caller.call("DescribeEipAddresses", version: "2099-01-01", ["RegionId": Self.region]), status: 400,
                code: "InvalidVersion")
            Self.expectError(
                try await caller.call("DescribeEipAddresses", ["RegionId": "eu-central-1"]), status: 404, code: "InvalidRegionId.NotFound")
            Self.expectError(try await caller.call("DescribeEipAddresses", [:]), status: 400, code: "MissingParameter")
        }
    }

    /// The official SDKs sign every header they send (`user-agent`, `accept`, ...), not only
    /// `host`, `content-type` and `x-acs-*`: the emulator follows the client's `SignedHeaders`.
    @Test func v3SigningExtraHeadersIsAccepted() async throws {
        try await Self.withEmulator { _, caller, _ in
            let host = String(caller.url.dropFirst("http://".count))
            let empty = AlibabaSignature.hexSHA256([UInt8]())
            let date = EmulatorCaller.timestamp(Date())
            let nonce = UUID().uuidString
            let canonical = [
                "POST", "/", "RegionId=\(Self.region)",
                "accept:application/json\nhost:\(host)\nuser-agent:AlibabaCloud (test) TeaDSL/1\nx-acs-action:DescribeEipAddresses\n"
                    + "x-acs-content-sha256:\(empty)\nx-acs-date:\(date)\nx-acs-signature-nonce:\(nonce)\nx-acs-version:\(Self.vpc)\n",
                "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
                empty,
            ].joined(separator: "\n")
            let signature = AlibabaSignature.signatureV3(canonicalRequest: canonical, accessKeySecret: caller.accessKeySecret)
            var request = HTTPClientRequest(url: caller.url + "/?RegionId=\(Self.region)")
            request.method = .POST
            for (name, value) in [
                ("accept", "application/json"), ("user-agent", "AlibabaCloud (test) TeaDSL/1"), ("x-acs-action", "DescribeEipAddresses"),
                ("x-acs-content-sha256", empty), ("x-acs-date", date), ("x-acs-signature-nonce", nonce), ("x-acs-version", Self.vpc),
                (
                    "Authorization",
                    "ACS3-HMAC-SHA256 Credential=\(caller.accessKeyID),SignedHeaders=accept;host;user-agent;x-acs-action;"
                        + "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=\(signature)"
                ),
            ] {
                request.headers.add(name: name, value: value)
            }
            let response = try await caller.client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status.code == 200, "\(String(buffer: body))")

            // Leaving an x-acs-* header out of SignedHeaders is refused.
            var unsigned = HTTPClientRequest(url: caller.url + "/?RegionId=\(Self.region)")
            unsigned.method = .POST
            for (name, value) in request.headers where name != "Authorization" { unsigned.headers.add(name: name, value: value) }
            unsigned.headers.replaceOrAdd(name: "x-acs-signature-nonce", value: UUID().uuidString)
            unsigned.headers.add(
                name: "Authorization", value: "ACS3-HMAC-SHA256 Credential=\(caller.accessKeyID),SignedHeaders=host,Signature=00")
            let refused = try await caller.client.execute(unsigned, timeout: .seconds(60))
            #expect(refused.status.code == 400)
        }
    }

    @Test(arguments: EmulatorCaller.Style.allCases)
    func staleTimestampIsExpired(_ style: EmulatorCaller.Style) async throws {
        try await Self.withEmulator { _, caller, _ in
            for offset in [-20.0 * 60, 20.0 * 60] {
                let reply = try await caller.call(
                    "DescribeEipAddresses", ["RegionId": Self.region], style: style, date: Date().addingTimeInterval(offset))
                Self.expectError(reply, status: 400, code: "InvalidTimeStamp.Expired")
            }
            // Within the allowance is fine.
            let reply = try await caller.call(
                "DescribeEipAddresses", ["RegionId": Self.region], style: style, date: Date().addingTimeInterval(-5 * 60))
            #expect(reply.status == 200, "\(reply.text)")
        }
    }

    @Test(arguments: EmulatorCaller.Style.allCases)
    func reusedNonceIsRefused(_ style: EmulatorCaller.Style) async throws {
        try await Self.withEmulator { _, caller, _ in
            let nonce = UUID().uuidString
            let first = try await caller.call("DescribeEipAddresses", ["RegionId": Self.region], style: style, nonce: nonce)
            #expect(first.status == 200, "\(first.text)")
            let again = try await caller.call(
                "DescribeEipAddresses", ["RegionId": Self.region, "PageSize": "20"], style: style, nonce: nonce)
            Self.expectError(again, status: 400, code: "SignatureNonceUsed")
        }
    }

    // MARK: Actions and shapes

    @Test func describePagesAndFilters() async throws {
        try await Self.withEmulator { _, caller, _ in
            var allocated: [String] = []
            for index in 0..<25 {
                allocated.append(try await Self.allocate(caller, ["ClientToken": "page-\(index)"]).id)
            }
            var seen: [String] = []
            for page in 1...3 {
                let reply = try await caller.call(
                    "DescribeEipAddresses", ["RegionId": Self.region, "PageSize": "10", "PageNumber": "\(page)"])
                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.object["TotalCount"] as? Int == 25)
                #expect(reply.object["PageNumber"] as? Int == page)
                #expect(reply.object["PageSize"] as? Int == 10)
                let ids = Self.eips(reply).compactMap { $0["AllocationId"] as? String }
                #expect(ids.count == (page < 3 ? 10 : 5))
                seen += ids
            }
            #expect(Set(seen) == Set(allocated))
            #expect(seen.count == 25)
            let beyond = try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "PageSize": "10", "PageNumber": "4"])
            #expect(Self.eips(beyond).isEmpty)
            // The default page size is 10.
            #expect(Self.eips(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region])).count == 10)

            let picked = try await caller.call(
                "DescribeEipAddresses",
                ["RegionId": Self.region, "AllocationId": allocated[0...2].joined(separator: ","), "PageSize": "100"]
            )
            #expect(Set(Self.eips(picked).compactMap { $0["AllocationId"] as? String }) == Set(allocated[0...2]))
            #expect(Self.eips(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "Status": "InUse"])).isEmpty)

            let tooMany = (0..<51).map { "eip-\($0)" }.joined(separator: ",")
            Self.expectError(
                try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "AllocationId": tooMany]), status: 400,
                code: "InvalidParameter")
            Self.expectError(
                try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "PageSize": "101"]), status: 400,
                code: "InvalidParameter")
            Self.expectError(
                try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "PageNumber": "0"]), status: 400,
                code: "InvalidParameter")
        }
    }

    @Test func tagsAreSetAndFiltered() async throws {
        try await Self.withEmulator { _, caller, _ in
            let first = try await Self.allocate(caller).id
            let second = try await Self.allocate(caller).id
            let tagged = try await caller.call(
                "TagResources",
                [
                    "RegionId": Self.region, "ResourceType": "EIP", "ResourceId.1": first, "Tag.1.Key": "eip-broker/owner",
                    "Tag.1.Value": "broker a",
                    "Tag.2.Key": "lease", "Tag.2.Value": "l-1",
                ],
                style: .v3Form
            )
            #expect(tagged.status == 200, "\(tagged.text)")
            let found = try await caller.call(
                "DescribeEipAddresses", ["RegionId": Self.region, "Tag.1.Key": "eip-broker/owner", "Tag.1.Value": "broker a"])
            #expect(Self.eips(found).compactMap { $0["AllocationId"] as? String } == [first])
            let tags = ((Self.eips(found).first?["Tags"] as? [String: Any])?["Tag"] as? [[String: String]]) ?? []
            #expect(tags == [["Key": "eip-broker/owner", "Value": "broker a"], ["Key": "lease", "Value": "l-1"]])
            #expect(
                Self.eips(
                    try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "Tag.1.Key": "lease", "Tag.1.Value": "l-2"])
                ).isEmpty)
            #expect(Self.eips(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "Tag.1.Key": "lease"])).count == 1)
            _ = second

            for reserved in ["aliyun-x", "acs:owner"] {
                let refused = try await caller.call(
                    "TagResources",
                    ["RegionId": Self.region, "ResourceType": "EIP", "ResourceId.1": second, "Tag.1.Key": reserved, "Tag.1.Value": "v"]
                )
                Self.expectError(refused, status: 400, code: "InvalidTagKey")
            }
            let missing = try await caller.call(
                "TagResources",
                ["RegionId": Self.region, "ResourceType": "EIP", "ResourceId.1": "eip-nonexistent", "Tag.1.Key": "k", "Tag.1.Value": "v"]
            )
            Self.expectError(missing, status: 404, code: "InvalidResourceId.NotFound")
        }
    }

    @Test func associationIsAsynchronousAndSettles() async throws {
        try await Self.withEmulator { running, caller, _ in
            let (id, ip) = try await Self.allocate(caller)
            let interfaces = try await caller.call(
                "DescribeNetworkInterfaces", version: Self.ecs, ["RegionId": Self.region, "PrivateIpAddress.1": "10.0.3.7"]
            )
            #expect(interfaces.status == 200, "\(interfaces.text)")
            let sets = (interfaces.object["NetworkInterfaceSets"] as? [String: Any])?["NetworkInterfaceSet"] as? [[String: Any]] ?? []
            let eni = try #require(sets.first?["NetworkInterfaceId"] as? String)
            #expect(eni.hasPrefix("eni-"))
            #expect(interfaces.object["TotalCount"] as? Int == 1)
            let privateSet = ((sets.first?["PrivateIpSets"] as? [String: Any])?["PrivateIpSet"] as? [[String: Any]])?.first
            #expect(privateSet?["PrivateIpAddress"] as? String == "10.0.3.7")
            #expect(privateSet?["Primary"] as? Bool == true)
            // The same ENI by its primary IP.
            let byPrimary = try await caller.call(
                "DescribeNetworkInterfaces", version: Self.ecs, ["RegionId": Self.region, "PrimaryIpAddress": "10.0.3.7"])
            #expect(byPrimary.text.contains(eni))

            // Wrong instance type, or an IP that is not the ENI's: refused.
            Self.expectError(
                try await caller.call("AssociateEipAddress", ["RegionId": Self.region, "AllocationId": id, "InstanceId": eni]), status: 404,
                code: "InvalidInstanceId.NotFound"
            )
            Self.expectError(
                try await caller.call(
                    "AssociateEipAddress",
                    [
                        "RegionId": Self.region, "AllocationId": id, "InstanceId": eni, "InstanceType": "NetworkInterface",
                        "PrivateIpAddress": "10.0.3.8",
                    ]
                ),
                status: 400, code: "InvalidPrivateIpAddress.NotFound"
            )

            let associate = try await caller.call(
                "AssociateEipAddress",
                [
                    "RegionId": Self.region, "AllocationId": id, "InstanceId": eni, "InstanceType": "NetworkInterface",
                    "PrivateIpAddress": "10.0.3.7",
                ]
            )
            #expect(associate.status == 200, "\(associate.text)")
            try await Self.eventually("the EIP is InUse") { try await Self.describeOne(caller, id)["Status"] as? String == "InUse" }
            let bound = try await Self.describeOne(caller, id)
            #expect(bound["InstanceId"] as? String == eni)
            #expect(bound["InstanceType"] as? String == "NetworkInterface")
            #expect(bound["PrivateIpAddress"] as? String == "10.0.3.7")
            let inUse = try await caller.call(
                "DescribeEipAddresses", ["RegionId": Self.region, "AssociatedInstanceId": eni, "Status": "InUse"])
            #expect(Self.eips(inUse).count == 1)
            let withIP = try await caller.call(
                "DescribeNetworkInterfaces", version: Self.ecs, ["RegionId": Self.region, "NetworkInterfaceId.1": eni])
            #expect(withIP.text.contains(ip))

            Self.expectError(
                try await caller.call("ReleaseEipAddress", ["RegionId": Self.region, "AllocationId": id]), status: 400,
                code: "IncorrectEipStatus")
            let unassociate = try await caller.call(
                "UnassociateEipAddress", ["RegionId": Self.region, "AllocationId": id, "InstanceId": eni, "Force": "true"])
            #expect(unassociate.status == 200, "\(unassociate.text)")
            try await Self.eventually("the EIP is Available") { try await Self.describeOne(caller, id)["Status"] as? String == "Available" }
            #expect(try await caller.call("ReleaseEipAddress", ["RegionId": Self.region, "AllocationId": id]).status == 200)
            Self.expectError(
                try await caller.call("ReleaseEipAddress", ["RegionId": Self.region, "AllocationId": id]), status: 404,
                code: "InvalidAllocationId.NotFound")
            #expect(running.emulator.cloudFaults.calls(of: .associate) == 1)
        }
    }

    @Test func associateReturnsWhileAssociating() async throws {
        try await Self.withEmulator(configure: { $0.settleDelay = .seconds(3600) }) { running, caller, _ in
            let (id, _) = try await Self.allocate(caller)
            let eni = try await running.emulator.cloud.networkInterface(
                privateIPAddress: "10.0.9.9", networkInterfaceID: nil, region: Self.region, vpcIDs: [])
            let parameters = [
                "RegionId": Self.region, "AllocationId": id, "InstanceId": eni, "InstanceType": "NetworkInterface",
                "PrivateIpAddress": "10.0.9.9",
            ]
            #expect(try await caller.call("AssociateEipAddress", parameters).status == 200)
            #expect(try await Self.describeOne(caller, id)["Status"] as? String == "Associating")
            // Asking again for the same binding is accepted; changing it meanwhile is not.
            #expect(try await caller.call("AssociateEipAddress", parameters).status == 200)
            Self.expectError(
                try await caller.call("UnassociateEipAddress", ["RegionId": Self.region, "AllocationId": id]), status: 400,
                code: "IncorrectEipStatus")
        }
    }

    @Test func specificAddressBandwidthPackageAndQuota() async throws {
        try await Self.withEmulator(configure: { $0.eipQuota = 2 }) { _, caller, _ in
            let pro = try await caller.call("AllocateEipAddressPro", ["RegionId": Self.region, "IpAddress": "198.18.7.7"])
            #expect(pro.status == 200, "\(pro.text)")
            #expect(pro["EipAddress"] == "198.18.7.7")
            let id = try #require(pro["AllocationId"])
            Self.expectError(
                try await caller.call("AllocateEipAddressPro", ["RegionId": Self.region, "IpAddress": "198.18.7.7"]), status: 400,
                code: "InvalidIpAddress.AlreadyAllocated"
            )
            Self.expectError(
                try await caller.call("AllocateEipAddressPro", ["RegionId": Self.region, "IpAddress": "8.8.8.8"]), status: 400,
                code: "InvalidParameter"
            )

            let join = ["RegionId": Self.region, "BandwidthPackageId": "cbwp-test", "IpInstanceId": id]
            #expect(try await caller.call("AddCommonBandwidthPackageIp", join).status == 200)
            #expect(try await Self.describeOne(caller, id)["BandwidthPackageId"] as? String == "cbwp-test")
            let inPackage = try await caller.call("DescribeEipAddresses", ["RegionId": Self.region, "BandwidthPackageId": "cbwp-test"])
            #expect(Self.eips(inPackage).count == 1)
            Self.expectError(
                try await caller.call("ReleaseEipAddress", ["RegionId": Self.region, "AllocationId": id]), status: 400,
                code: "OperationFailed.EipInCbwp")
            #expect(try await caller.call("RemoveCommonBandwidthPackageIp", join).status == 200)
            #expect(try await Self.describeOne(caller, id)["BandwidthPackageId"] as? String == "")

            _ = try await Self.allocate(caller)
            Self.expectError(try await caller.call("AllocateEipAddress", ["RegionId": Self.region]), status: 400, code: "QuotaExceeded.Eip")
        }
    }

    // MARK: Throttling and faults

    @Test func throttlingRefusalsAreCounted() async throws {
        try await Self.withEmulator(configure: { $0.throttles["AllocateEipAddress"] = ThrottleLimit(perMinute: 1, burst: 1) }) {
            running, caller, _ in
            _ = try await Self.allocate(caller, ["ClientToken": "t-1"])
            let refused = try await caller.call("AllocateEipAddress", ["RegionId": Self.region, "ClientToken": "t-2"])
            Self.expectError(refused, status: 400, code: "Throttling.User")
            let retryAfter = try #require(refused.headers.first(name: "x-acs-retry-after").flatMap { Int($0) })
            #expect(retryAfter > 0)
            #expect(refused.headers.first(name: "Retry-After") != nil)
            #expect(running.emulator.stats.throttled(of: "AllocateEipAddress") == 1)
            #expect(running.emulator.stats.requests(of: "AllocateEipAddress") == 2)
            // Other actions are not limited.
            #expect(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region]).status == 200)

            // Over HTTP: limit DescribeEipAddresses, then read the counts.
            let set = try await caller.plain(
                .POST, "/_emulator/faults",
                body: #"{"throttlePerMinute": {"DescribeEipAddresses": 1}, "throttleBurst": {"DescribeEipAddresses": 1}}"#)
            #expect(set.status == 200, "\(set.text)")
            #expect(running.emulator.faults.throttles["DescribeEipAddresses"] == ThrottleLimit(perMinute: 1, burst: 1))
            #expect(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region]).status == 200)
            Self.expectError(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region]), status: 400, code: "Throttling.User")
            let stats = try await caller.plain(.GET, "/_emulator/stats")
            let throttled = stats.object["throttled"] as? [String: Int]
            #expect(throttled == ["AllocateEipAddress": 1, "DescribeEipAddresses": 1])
            #expect((stats.object["requests"] as? [String: Int])?["AllocateEipAddress"] == 2)
        }
    }

    @Test func droppedResponseKeepsTheChangeAndRetryFindsIt() async throws {
        try await Self.withEmulator { running, caller, _ in
            running.emulator.faults.dropResponseNext("AllocateEipAddress")
            let lost = try await caller.call("AllocateEipAddress", ["RegionId": Self.region, "ClientToken": "lost-once"])
            Self.expectError(lost, status: 503, code: "ServiceUnavailable")
            let retried = try await Self.allocate(caller, ["ClientToken": "lost-once"])
            let all = try await caller.call("DescribeEipAddresses", ["RegionId": Self.region])
            #expect(all.object["TotalCount"] as? Int == 1)
            #expect(Self.eips(all).first?["AllocationId"] as? String == retried.id)

            running.emulator.faults.failNext("AllocateEipAddress")
            Self.expectError(
                try await caller.call("AllocateEipAddress", ["RegionId": Self.region, "ClientToken": "failed"]), status: 503,
                code: "ServiceUnavailable")
            #expect(try await caller.call("DescribeEipAddresses", ["RegionId": Self.region]).object["TotalCount"] as? Int == 1)

            // The simulated cloud's own faults come through with their codes.
            running.emulator.cloudFaults.failNext(.describe, with: SimulatedCloud.Faults.throttling)
            let throttled = try await caller.call("DescribeEipAddresses", ["RegionId": Self.region])
            Self.expectError(throttled, status: 400, code: "Throttling.User")
            #expect(throttled.headers.first(name: "x-acs-retry-after") == "1000")

            // Over HTTP.
            #expect(try await caller.plain(.POST, "/_emulator/faults", body: #"{"failNext": {"DescribeEipAddresses": 1}}"#).status == 200)
            Self.expectError(
                try await caller.call("DescribeEipAddresses", ["RegionId": Self.region]), status: 503, code: "ServiceUnavailable")
            #expect(try await caller.plain(.POST, "/_emulator/faults", body: "not json").status == 400)
        }
    }

    // MARK: Metadata service and STS

    @Test func metadataTokenFlowAndRoleCredentials() async throws {
        try await Self.withEmulator(configure: { $0.requireMetadataToken = true }) { running, caller, logs in
            let rolePath = "/latest/meta-data/ram/security-credentials/"
            #expect(try await caller.plain(.GET, rolePath).status == 401)
            #expect(try await caller.plain(.PUT, "/latest/api/token").status == 400)
            let token = try await caller.plain(.PUT, "/latest/api/token", headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", "60")])
            #expect(token.status == 200)
            let session = [("X-aliyun-ecs-metadata-token", token.text)]
            #expect(try await caller.plain(.GET, rolePath, headers: [("X-aliyun-ecs-metadata-token", "wrong")]).status == 401)
            let role = try await caller.plain(.GET, rolePath, headers: session)
            #expect(role.status == 200)
            #expect(role.text == "EIPBrokerRole")
            #expect(try await caller.plain(.GET, rolePath + "OtherRole", headers: session).status == 404)

            let credentials = try await caller.plain(.GET, rolePath + role.text, headers: session)
            #expect(credentials.status == 200)
            #expect(credentials["Code"] == "Success")
            let keyID = try #require(credentials["AccessKeyId"])
            let secret = try #require(credentials["AccessKeySecret"])
            let securityToken = try #require(credentials["SecurityToken"])
            #expect(keyID.hasPrefix("STS."))
            #expect(credentials["Expiration"].flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
            #expect(credentials["LastUpdated"] != nil)
            #expect(running.emulator.issuedCredentialCount == 1)
            // Asked again, the same credentials while they are fresh.
            #expect(try await caller.plain(.GET, rolePath + role.text, headers: session)["AccessKeyId"] == keyID)

            var roleCaller = caller
            roleCaller.accessKeyID = keyID
            roleCaller.accessKeySecret = secret
            roleCaller.securityToken = securityToken
            for style in EmulatorCaller.Style.allCases {
                let reply = try await roleCaller.call("DescribeEipAddresses", ["RegionId": Self.region], style: style)
                #expect(reply.status == 200, "\(style): \(reply.text)")
            }
            running.emulator.expireIssuedCredentials()
            Self.expectError(
                try await roleCaller.call("DescribeEipAddresses", ["RegionId": Self.region]), status: 400,
                code: "InvalidSecurityToken.Expired")
            let renewed = try await caller.plain(.GET, rolePath + role.text, headers: session)
            #expect(renewed["AccessKeyId"] != keyID)
            #expect(running.emulator.issuedCredentialCount == 2)
            #expect(!logs.text.contains(secret))
            #expect(!logs.text.contains(securityToken))
        }
    }

    static func oidcForm(duration: String = "900") -> [String: String] {
        func base64URL(_ text: String) -> String { Base64URL.encode(Data(text.utf8)) }
        let jwt =
            base64URL(#"{"alg":"RS256"}"#) + "."
            + base64URL(#"{"sub":"system:serviceaccount:kube-system:eip-broker","iss":"https://oidc.example","aud":"sts.aliyuncs.com"}"#)
            + ".c2ln"
        return [
            "Action": "AssumeRoleWithOIDC", "Version": sts, "Format": "JSON", "Timestamp": EmulatorCaller.timestamp(Date()),
            "RoleArn": "acs:ram::1234567890123456:role/eip-broker",
            "OIDCProviderArn": "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1",
            "OIDCToken": jwt, "RoleSessionName": "eip-broker", "DurationSeconds": duration,
        ]
    }

    @Test func assumeRoleWithOIDCCredentialsWorkAndExpire() async throws {
        let clock = ManualClock()
        let wall = clock.wallClock()
        try await Self.withEmulator(configure: {
            $0.stsExpiry = .seconds(3600)
            $0.clock = wall
        }) { running, caller, logs in
            let reply = try await caller.plain(.POST, "/", form: Self.oidcForm())
            #expect(reply.status == 200, "\(reply.text)")
            let credentials = try #require(reply.object["Credentials"] as? [String: String])
            let keyID = try #require(credentials["AccessKeyId"])
            let secret = try #require(credentials["AccessKeySecret"])
            let token = try #require(credentials["SecurityToken"])
            #expect(credentials["Expiration"].flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
            #expect(
                (reply.object["AssumedRoleUser"] as? [String: String])?["Arn"]
                    == "acs:ram::1234567890123456:assumed-role/eip-broker/eip-broker")
            #expect((reply.object["OIDCTokenInfo"] as? [String: String])?["Subject"] == "system:serviceaccount:kube-system:eip-broker")
            #expect(running.emulator.issuedCredentialCount == 1)

            var stsCaller = caller
            stsCaller.accessKeyID = keyID
            stsCaller.accessKeySecret = secret
            stsCaller.securityToken = token
            let identity = try await stsCaller.call("GetCallerIdentity", version: Self.sts, [:], style: .v1Get, date: wall.now())
            #expect(identity["IdentityType"] == "AssumedRoleUser", "\(identity.text)")
            // Without the token, or with another one: refused.
            var tokenless = stsCaller
            tokenless.securityToken = nil
            Self.expectError(
                try await tokenless.call("DescribeEipAddresses", ["RegionId": Self.region], date: wall.now()), status: 400,
                code: "InvalidSecurityToken.Malformed")
            var mangled = stsCaller
            mangled.securityToken = token + "x"
            Self.expectError(
                try await mangled.call("DescribeEipAddresses", ["RegionId": Self.region], date: wall.now()), status: 400,
                code: "InvalidSecurityToken.Malformed")

            // Valid for the 900 s asked for (in virtual time, the emulator's clock), then expired.
            clock.advance(by: .seconds(899))
            let late = try await stsCaller.call("DescribeEipAddresses", ["RegionId": Self.region], date: wall.now())
            #expect(late.status == 200, "\(late.text)")
            clock.advance(by: .seconds(2))
            Self.expectError(
                try await stsCaller.call("DescribeEipAddresses", ["RegionId": Self.region], date: wall.now()), status: 400,
                code: "InvalidSecurityToken.Expired")

            // Bad requests.
            var missing = Self.oidcForm()
            missing["OIDCToken"] = nil
            Self.expectError(try await caller.plain(.POST, "/", form: missing), status: 400, code: "MissingParameter")
            var notJWT = Self.oidcForm()
            notJWT["OIDCToken"] = "opaque"
            Self.expectError(try await caller.plain(.POST, "/", form: notJWT), status: 400, code: "InvalidParameter.OIDCToken")
            Self.expectError(try await caller.plain(.POST, "/", form: Self.oidcForm(duration: "60")), status: 400, code: "InvalidParameter")
            #expect(!logs.text.contains(secret))
            #expect(!logs.text.contains(token))
        }
    }
}
