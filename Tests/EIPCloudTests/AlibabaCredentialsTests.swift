import EIPCloud
import EIPCloudEmulator
import EIPCore
import Foundation
import Logging
import Testing

@testable import EIPTestSupport

/// Alibaba credentials: redaction, fixed pairs, the ECS metadata service (with and without its
/// session token), refresh ahead of expiry without a failed call, single-flight refresh,
/// keeping unexpired credentials when a refresh fails, revoked credentials replaced, and RRSA
/// (`AssumeRoleWithOIDC` from a rotating token file), against the emulator over real HTTP.
@Suite("AlibabaCredentials")
struct AlibabaCredentialsTests {
    static let region = AlibabaClientTests.region
    static let roleARN = "acs:ram::1234567890123456:role/eip-broker"
    static let providerARN = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1"

    // MARK: - Without I/O

    @Test func credentialsAndSourcesNeverPrintSecrets() {
        let secret = "SuperSecretAccessKeyValue"
        let token = "CAISsecurityTokenValue+/=="
        let credentials = AlibabaCredentials(
            accessKeyID: "LTAI5tExampleKeyId", accessKeySecret: secret, securityToken: token,
            expiration: Date(timeIntervalSince1970: 1_800_000_000)
        )
        let sources: [AlibabaCredentialSource] = [
            .accessKey(id: "LTAI5tExampleKeyId", secret: secret), .stsToken(id: "STS.abc", secret: secret, token: token),
        ]
        var texts = ["\(credentials)", String(reflecting: credentials), "\([credentials])", "\(Optional(credentials) as Any)"]
        var dumped = ""
        dump(credentials, to: &dumped)
        texts.append(dumped)
        for source in sources {
            var dumpedSource = ""
            dump(source, to: &dumpedSource)
            texts += ["\(source)", String(reflecting: source), dumpedSource, "\([source])"]
        }
        let configuration = AlibabaCloudProvider.Configuration(account: "a", credentials: sources[1])
        texts.append("\(configuration)")
        texts.append(String(reflecting: configuration))
        for text in texts {
            #expect(!text.contains(secret), "\(text)")
            #expect(!text.contains(token), "\(text)")
        }
        #expect("\(credentials)".contains("LTAI****KeyId".suffix(4)))
        #expect(credentials.maskedAccessKeyID == "LTAI****eyId")
    }

    @Test func fixedSourcesNeedNoFetch() async throws {
        let keys = AlibabaCredentialProvider(source: .accessKey(id: "id", secret: "secret"))
        #expect(try await keys.credentials() == AlibabaCredentials(accessKeyID: "id", accessKeySecret: "secret"))
        let sts = AlibabaCredentialProvider(source: .stsToken(id: "STS.id", secret: "s", token: "t"))
        #expect(try await sts.credentials().securityToken == "t")
        await sts.invalidate()
        #expect(try await sts.credentials().securityToken == "t")
        #expect(await keys.fetchCount == 0 && !AlibabaCredentialSource.accessKey(id: "a", secret: "b").isRefreshable)
    }

    @Test func rrsaIsConfiguredFromTheEnvironment() throws {
        let environment = [
            "ALIBABA_CLOUD_ROLE_ARN": Self.roleARN, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": Self.providerARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token",
        ]
        let source = try AlibabaCredentialSource.oidcRoleFromEnvironment(environment, sessionName: "broker")
        #expect(
            source
                == .oidcRole(
                    roleARN: Self.roleARN, providerARN: Self.providerARN,
                    tokenFile: "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token",
                    sessionName: "broker"
                )
        )
        var incomplete = environment
        incomplete["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = ""
        let error = #expect(throws: AlibabaCredentialError.self) { try AlibabaCredentialSource.oidcRoleFromEnvironment(incomplete) }
        #expect(error?.code == .missingConfiguration && error?.message.contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE") == true)
    }

    @Test func refreshIsDueAheadOfExpiry() {
        let policy = AlibabaCredentialRefreshPolicy()
        let fetched = Date(timeIntervalSince1970: 0)
        let sixHours = AlibabaCredentials(
            accessKeyID: "a", accessKeySecret: "b", securityToken: "c", expiration: fetched.addingTimeInterval(6 * 3600))
        // 20% of six hours is 72 minutes, more than 5 minutes: due with 71 minutes left, not 73.
        #expect(!policy.isDue(sixHours, fetchedAt: fetched, now: fetched.addingTimeInterval(6 * 3600 - 73 * 60)))
        #expect(policy.isDue(sixHours, fetchedAt: fetched, now: fetched.addingTimeInterval(6 * 3600 - 71 * 60)))
        let fifteenMinutes = AlibabaCredentials(
            accessKeyID: "a", accessKeySecret: "b", securityToken: "c", expiration: fetched.addingTimeInterval(900))
        // 20% of 15 minutes is 3: the 5 minutes win.
        #expect(!policy.isDue(fifteenMinutes, fetchedAt: fetched, now: fetched.addingTimeInterval(899 - 300)))
        #expect(policy.isDue(fifteenMinutes, fetchedAt: fetched, now: fetched.addingTimeInterval(901 - 300)))
        #expect(policy.isUsable(fifteenMinutes, now: fetched.addingTimeInterval(880)))
        #expect(!policy.isUsable(fifteenMinutes, now: fetched.addingTimeInterval(895)))
        #expect(!policy.isDue(AlibabaCredentials(accessKeyID: "a", accessKeySecret: "b"), fetchedAt: fetched, now: .distantFuture))
    }

    // MARK: - ECS metadata service

    @Test func ecsRAMRoleWithSessionToken() async throws {
        try await AlibabaEmulatorFixture.with(configure: { $0.requireMetadataToken = true }) { fixture in
            let provider = fixture.provider(credentials: .ecsRAMRole(metadataEndpoint: fixture.url, useIMDSToken: true))
            let credentials = try await provider.credentials.credentials()
            #expect(credentials.accessKeyID.hasPrefix("STS.") && credentials.securityToken != nil && credentials.expiration != nil)
            #expect(fixture.emulator.stats.snapshot.metadataTokens >= 1)
            // The STS credentials sign VPC calls (V3 with x-acs-security-token) and ECS calls.
            _ = try await provider.describeTagged(key: "k", value: "v", region: Self.region)
            _ = try await provider.networkInterface(
                privateIPAddress: "10.9.0.1", networkInterfaceID: nil, region: Self.region, vpcIDs: ["vpc-sim"])
            // A named role skips the discovery request and works the same.
            let named = fixture.provider(
                credentials: .ecsRAMRole(roleName: fixture.emulator.configuration.roleName, metadataEndpoint: fixture.url))
            #expect(try await named.credentials.credentials().accessKeyID.hasPrefix("STS."))
            #expect(fixture.emulator.stats.snapshot.errors.isEmpty, "\(fixture.emulator.stats.snapshot.errors)")
        }
    }

    @Test func metadataRefusalIsATypedErrorWithoutSecrets() async throws {
        try await AlibabaEmulatorFixture.with(configure: { $0.requireMetadataToken = true }) { fixture in
            let withoutToken = AlibabaCredentialProvider(source: .ecsRAMRole(metadataEndpoint: fixture.url, useIMDSToken: false))
            let error = await #expect(throws: AlibabaCredentialError.self) { _ = try await withoutToken.credentials() }
            #expect(error?.code == .refused && error?.httpStatus == 401)

            let wrongRole = AlibabaCredentialProvider(source: .ecsRAMRole(roleName: "NoSuchRole", metadataEndpoint: fixture.url))
            let missing = await #expect(throws: AlibabaCredentialError.self) { _ = try await wrongRole.credentials() }
            #expect(missing?.code == .refused && missing?.httpStatus == 404)

            let provider = fixture.provider(credentials: .ecsRAMRole(roleName: "NoSuchRole", metadataEndpoint: fixture.url))
            let mapped = await AlibabaClientTests.cloudError { _ = try await provider.describe(allocationID: "eip-x", region: Self.region) }
            #expect(mapped?.kind == .rejected && mapped?.code == "Credentials.Refused")
        }
    }

    @Test func expiringMetadataCredentialsAreRefreshedWithoutAFailedCall() async throws {
        // The metadata service's credentials live 6 hours and are reissued once less than half
        // remains; the client refreshes at that point too, well before they expire. Twelve hours
        // pass in virtual time (the emulator and the client read one clock), a signed call every
        // 20 minutes.
        let clock = ManualClock()
        let wall = clock.wallClock()
        try await AlibabaEmulatorFixture.with(configure: { $0.clock = wall }) { fixture in
            let provider = fixture.provider(credentials: .ecsRAMRole(metadataEndpoint: fixture.url), clock: wall) {
                $0.credentialRefresh = AlibabaCredentialRefreshPolicy(
                    ahead: .zero, aheadFraction: 0.5, minimumRemaining: .seconds(60), retryAfterFailure: .seconds(60)
                )
            }
            var keys: [String] = []
            let calls = 36
            for _ in 0..<calls {
                _ = try await provider.describeTagged(key: "eip-broker/owner", value: "refresh", region: Self.region)
                let held = try await provider.credentials.credentials()
                #expect(try #require(held.expiration) > wall.now(), "the credentials in hand are expired")
                if keys.last != held.accessKeyID { keys.append(held.accessKeyID) }
                clock.advance(by: .seconds(20 * 60))
            }
            #expect(keys.count >= 4, "credentials were not refreshed: \(keys.count) generation(s) in \(calls) calls over 12 hours")
            #expect(Set(keys).count == keys.count)
            #expect(fixture.emulator.stats.errors(withCode: "InvalidSecurityToken.Expired") == 0)
            #expect(fixture.emulator.stats.snapshot.errors.isEmpty, "\(fixture.emulator.stats.snapshot.errors)")
            #expect(await provider.credentials.fetchCount >= 3)
        }
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = AlibabaCredentialProvider(source: .ecsRAMRole(metadataEndpoint: fixture.url))
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<32 {
                    group.addTask { try await provider.credentials().accessKeyID }
                }
                var keys: Set<String> = []
                for try await key in group { keys.insert(key) }
                return keys
            }
            #expect(keys.count == 1)
            #expect(await provider.fetchCount == 1)
            #expect(fixture.emulator.stats.issuedCredentials == 1)
        }
    }

    @Test func unrotatedCredentialsAreNotFetchedOnEveryCall() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            // Always due, but the metadata service keeps its 6-hour credentials for 3 hours.
            let policy = AlibabaCredentialRefreshPolicy(ahead: .seconds(86_400), retryAfterFailure: .seconds(600))
            let provider = AlibabaCredentialProvider(source: .ecsRAMRole(metadataEndpoint: fixture.url), refreshPolicy: policy)
            let first = try await provider.credentials()
            #expect(try await provider.credentials() == first)
            #expect(await provider.fetchCount == 2)
            for _ in 0..<5 { #expect(try await provider.credentials() == first) }
            #expect(await provider.fetchCount == 2)
            #expect(fixture.emulator.stats.issuedCredentials == 1)
        }
    }

    @Test func unexpiredCredentialsOutliveAFailedRefresh() async throws {
        let logs = CapturedLogs()
        // Always due (refresh ahead by more than their lifetime), never unusable before expiry.
        let policy = AlibabaCredentialRefreshPolicy(ahead: .seconds(86_400), retryAfterFailure: .zero, requestTimeout: .seconds(2))
        let (provider, first) = try await AlibabaEmulatorFixture.with { fixture in
            let provider = AlibabaCredentialProvider(
                source: .ecsRAMRole(metadataEndpoint: fixture.url), refreshPolicy: policy, logger: logs.logger(level: .trace)
            )
            return (provider, try await provider.credentials())
        }
        // The metadata service is gone now: the refresh fails, the held credentials still serve.
        let again = try await provider.credentials()
        #expect(again == first)
        #expect(logs.text.contains("refreshing Alibaba credentials failed"))
        // Without credentials in hand, the failure surfaces, typed.
        await provider.invalidate()
        let error = await #expect(throws: AlibabaCredentialError.self) { _ = try await provider.credentials() }
        #expect(error?.code == .unavailable)
        for secret in [first.accessKeySecret, first.securityToken ?? "-"] {
            #expect(!logs.text.contains(secret))
            #expect(!"\(String(describing: error))".contains(secret))
        }
    }

    @Test func revokedCredentialsAreReplacedOnTheNextAttempt() async throws {
        try await AlibabaEmulatorFixture.with { fixture in
            let provider = fixture.provider(credentials: .ecsRAMRole(metadataEndpoint: fixture.url))
            let before = try await provider.credentials.credentials()
            _ = try await provider.describeTagged(key: "k", value: "v", region: Self.region)
            fixture.emulator.expireIssuedCredentials()
            _ = try await provider.describeTagged(key: "k", value: "v", region: Self.region)
            let after = try await provider.credentials.credentials()
            #expect(after.accessKeyID != before.accessKeyID)
            #expect(fixture.emulator.stats.errors(withCode: "InvalidSecurityToken.Expired") == 1)
        }
    }

    // MARK: - RRSA

    /// A token shaped like a Kubernetes service account JWT (the emulator checks the shape only).
    static func oidcToken(subject: String) -> String {
        func base64URL(_ text: String) -> String { Base64URL.encode(Data(text.utf8)) }
        let header = base64URL(#"{"alg":"RS256","kid":"test"}"#)
        let payload = base64URL(#"{"iss":"https://oidc-ack.cn-hangzhou.aliyuncs.com/c1","sub":"\#(subject)","aud":"sts.aliyuncs.com"}"#)
        return "\(header).\(payload).c2lnbmF0dXJl"
    }

    @Test func rrsaExchangesTheRotatingTokenFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rrsa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenFile = folder.appendingPathComponent("token")
        let firstToken = Self.oidcToken(subject: "system:serviceaccount:kube-system:eip-broker")
        try Data(firstToken.utf8).write(to: tokenFile)

        try await AlibabaEmulatorFixture.with { fixture in
            let source = try AlibabaCredentialSource.oidcRoleFromEnvironment(
                [
                    "ALIBABA_CLOUD_ROLE_ARN": Self.roleARN, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": Self.providerARN,
                    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": tokenFile.path,
                ],
                duration: .seconds(900), stsEndpoint: fixture.url
            )
            let provider = fixture.provider(credentials: source)
            let credentials = try await provider.credentials.credentials()
            #expect(credentials.accessKeyID.hasPrefix("STS.") && credentials.securityToken != nil)
            let lifetime = try #require(credentials.expiration).timeIntervalSinceNow
            #expect(lifetime > 0 && lifetime <= 900)
            let eip = try await provider.allocate(
                CloudAllocationRequest(region: Self.region, parameters: EIPParameters(), clientToken: "rrsa", tags: ["via": "rrsa"]))
            #expect(try await provider.describe(allocationID: eip.allocationID, region: Self.region)?.tags == ["via": "rrsa"])
            #expect(fixture.emulator.stats.requests(of: "AssumeRoleWithOIDC") == 1)

            // The file is read again on every exchange: a broken token is refused by STS...
            try Data("not-a-jwt".utf8).write(to: tokenFile)
            await provider.credentials.invalidate()
            let refused = await #expect(throws: AlibabaCredentialError.self) { _ = try await provider.credentials.credentials() }
            #expect(refused?.code == .refused && refused?.serviceCode == "InvalidParameter.OIDCToken" && refused?.httpStatus == 400)
            #expect(refused.map { !"\($0)".contains("not-a-jwt") } ?? false)

            // ...and the rotated, valid one works again.
            try Data(Self.oidcToken(subject: "system:serviceaccount:kube-system:eip-broker-2").utf8).write(to: tokenFile)
            let rotated = try await provider.credentials.credentials()
            #expect(rotated.accessKeyID != credentials.accessKeyID)
            try await provider.release(allocationID: eip.allocationID, region: Self.region)

            try FileManager.default.removeItem(at: tokenFile)
            await provider.credentials.invalidate()
            let unreadable = await #expect(throws: AlibabaCredentialError.self) { _ = try await provider.credentials.credentials() }
            #expect(unreadable?.code == .tokenFileUnreadable)

            for secret in [
                credentials.accessKeySecret, credentials.securityToken ?? "-", rotated.accessKeySecret, rotated.securityToken ?? "-",
                firstToken,
            ] {
                #expect(!fixture.logs.text.contains(secret))
            }
        }
    }
}
