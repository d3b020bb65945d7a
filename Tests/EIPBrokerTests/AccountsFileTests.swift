import EIPBroker
import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import Testing

@testable import EIPTestSupport

/// The YAML accounts file: simulated and Alibaba accounts, `${NAME}` expansion, and errors that
/// name the bad key.
@Suite("Accounts file")
struct AccountsFileTests {
    func load(_ text: String, environment: [String: String] = [:]) throws -> [CloudAccountConfiguration] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("accounts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("accounts.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try BrokerConfiguration.accounts(fromFile: path, environment: environment)
    }

    @Test
    func readsSimulatedAndAlibabaAccounts() throws {
        let accounts = try load(
            """
            accounts:
              - name: sim
                kind: simulated
                simulated: {latency: 5ms, settleDelay: 1s}
              - name: aliyun-prod
                kind: alibaba
                region: cn-shanghai
                alibaba:
                  credentials:
                    source: accessKey
                    accessKeyId: ${AK_ID}
                    accessKeySecret: ${AK_SECRET}
                  signatureVersion: v1
                  endpoints: {vpc: "http://127.0.0.1:8090", ecs: "http://127.0.0.1:8091"}
                  timeout: 3s
                  rateLimits: {AllocateEipAddress: 60, default: 300}
            """,
            environment: ["AK_ID": "LTAIexample", "AK_SECRET": "not-a-real-secret"]
        )
        #expect(accounts.map(\.name) == ["sim", "aliyun-prod"])
        #expect(accounts[0].defaultRegion == "cn-hangzhou")
        guard case .simulated(let latency, let settle, let vpcs) = accounts[0].kind else {
            Issue.record("not simulated")
            return
        }
        #expect(latency == .milliseconds(5))
        #expect(settle == .seconds(1))
        #expect(vpcs == [.default])
        guard case .alibaba(let alibaba) = accounts[1].kind else {
            Issue.record("not alibaba")
            return
        }
        #expect(alibaba.account == "aliyun-prod")
        #expect(alibaba.defaultRegion == "cn-shanghai")
        #expect(alibaba.credentials == .accessKey(id: "LTAIexample", secret: "not-a-real-secret"))
        #expect(alibaba.rpc.signatureVersion == .v1)
        #expect(alibaba.rpc.timeout == .seconds(3))
        #expect(alibaba.endpoints.url(for: .vpc, region: "cn-shanghai").absoluteString == "http://127.0.0.1:8090")
        #expect(alibaba.endpoints.url(for: .ecs, region: "cn-shanghai").absoluteString == "http://127.0.0.1:8091")
        #expect(alibaba.rateLimits.actions["AllocateEipAddress"]?.perMinute == 60)
        #expect(alibaba.rateLimits.defaultRate.perMinute == 300)
        #expect(!String(describing: alibaba.credentials).contains("not-a-real-secret"))
    }

    @Test
    func readsTheOtherCredentialSources() throws {
        let accounts = try load(
            """
            accounts:
              - {name: sts, kind: alibaba, alibaba: {credentials: {source: stsToken, accessKeyId: a, accessKeySecret: b, securityToken: c}}}
              - {name: ram, kind: alibaba, alibaba: {credentials: {source: ecsRamRole, roleName: broker, metadataEndpoint: "http://127.0.0.1:9"}}}
              - {name: rrsa, kind: alibaba, alibaba: {credentials: {source: oidcRole, sessionDuration: 30m}}}
            """,
            environment: [
                "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/broker", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/ack",
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/token",
            ]
        )
        let sources = accounts.compactMap { account -> AlibabaCredentialSource? in
            if case .alibaba(let configuration) = account.kind { configuration.credentials } else { nil }
        }
        #expect(sources.count == 3)
        #expect(sources[0] == .stsToken(id: "a", secret: "b", token: "c"))
        #expect(sources[1] == .ecsRAMRole(roleName: "broker", metadataEndpoint: URL(string: "http://127.0.0.1:9")!, useIMDSToken: true))
        #expect(
            sources[2]
                == .oidcRole(
                    roleARN: "acs:ram::1:role/broker", providerARN: "acs:ram::1:oidc-provider/ack", tokenFile: "/var/run/token",
                    duration: .seconds(1800))
        )
    }

    @Test(arguments: [
        ("accounts: []", "accounts"),
        ("accounts:\n  - {name: Bad_Name, kind: simulated}", "accounts[0].name"),
        ("accounts:\n  - {name: a, kind: simulated}\n  - {name: a, kind: simulated}", "accounts[1].name"),
        ("accounts:\n  - {name: a, kind: gcp}", "accounts[0].kind"),
        ("accounts:\n  - {name: a, kind: simulated, region: 'Not A Region'}", "accounts[0].region"),
        ("accounts:\n  - {name: a, kind: simulated, simulated: {latency: soon}}", "accounts[0].simulated.latency"),
        ("accounts:\n  - {name: a, kind: alibaba}", "accounts[0].alibaba"),
        ("accounts:\n  - {name: a, kind: alibaba, alibaba: {credentials: {source: password}}}", "accounts[0].alibaba.credentials.source"),
        (
            "accounts:\n  - {name: a, kind: alibaba, alibaba: {credentials: {source: accessKey, accessKeyId: x}}}",
            "accounts[0].alibaba.credentials.accessKeySecret"
        ),
        (
            "accounts:\n  - {name: a, kind: alibaba, alibaba: {credentials: {source: accessKey, accessKeyId: x, accessKeySecret: y}, signatureVersion: v2}}",
            "accounts[0].alibaba.signatureVersion"
        ),
        (
            "accounts:\n  - {name: a, kind: alibaba, alibaba: {credentials: {source: accessKey, accessKeyId: x, accessKeySecret: y}, endpoints: {rds: 'http://h'}}}",
            "accounts[0].alibaba.endpoints.rds"
        ),
        (
            "accounts:\n  - {name: a, kind: alibaba, alibaba: {credentials: {source: accessKey, accessKeyId: x, accessKeySecret: y}, endpoint: 'ftp://h'}}",
            "accounts[0].alibaba.endpoint"
        ),
        (
            "accounts:\n  - {name: a, kind: alibaba, alibaba: {credentials: {source: accessKey, accessKeyId: '${MISSING}', accessKeySecret: y}}}",
            "MISSING"
        ),
        ("accounts:\n  - {name: a, kind: simulated", "accounts file"),
    ])
    func refusesBadFilesNamingTheKey(_ text: String, field: String) throws {
        do {
            _ = try load(text)
            Issue.record("accepted: \(text)")
        } catch let error as BrokerError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(field), "\(error.message)")
        }
    }
}
