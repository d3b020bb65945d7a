import EIPCloud
import EIPCloudSimulated
import EIPCore
import Foundation
import Yams

/// The cloud accounts file (`--accounts-file`, YAML): which accounts pools may name, and how
/// the broker reaches them. `${NAME}` in any value is replaced by the environment variable
/// `NAME`, so secrets can stay out of the file.
///
/// ```yaml
/// accounts:
///   - name: sim
///     kind: simulated
///     region: cn-hangzhou
///     simulated:
///       latency: 0s
///       settleDelay: 20ms
///       vpcs: [{id: vpc-a, cidrBlocks: [10.0.0.0/16]}]   # default: vpc-sim, every address
///   - name: aliyun-prod
///     kind: alibaba
///     region: cn-hangzhou
///     alibaba:
///       credentials:
///         source: accessKey          # accessKey | stsToken | ecsRamRole | oidcRole
///         accessKeyId: ${ALIBABA_CLOUD_ACCESS_KEY_ID}
///         accessKeySecret: ${ALIBABA_CLOUD_ACCESS_KEY_SECRET}
///       signatureVersion: v3         # or v1
///       endpoints: {vpc: https://vpc.aliyuncs.com}
///       timeout: 10s
///       rateLimits: {AllocateEipAddress: 120, default: 600}   # calls per minute
///       bandwidthPackageIpLimit: 100 # EIPs per shared bandwidth package (the account's quota)
/// ```
enum AccountsFile {
    /// Parses the file's text into account configurations.
    /// - Throws: `BrokerError.invalidArgument` naming the offending key (`accounts[1].region`).
    static func parse(_ text: String, environment: [String: String]) throws -> [CloudAccountConfiguration] {
        let document: Document
        do {
            document = try YAMLDecoder().decode(Document.self, from: try expand(text, environment: environment))
        } catch let error as DecodingError {
            throw BrokerError.invalid("accounts file", describe(error))
        } catch let error as BrokerError {
            throw error
        } catch {
            throw BrokerError.invalid("accounts file", "is not valid YAML (\(error))")
        }
        guard !document.accounts.isEmpty else { throw BrokerError.invalid("accounts", "must list at least one account") }
        var seen: Set<String> = []
        return try document.accounts.enumerated().map { index, account in
            let field = "accounts[\(index)]"
            guard Validation.isDNSLabel(account.name) else {
                throw BrokerError.invalid("\(field).name", "must be a DNS label (got '\(account.name)')")
            }
            guard seen.insert(account.name).inserted else {
                throw BrokerError.invalid("\(field).name", "'\(account.name)' is declared twice")
            }
            let region = account.region ?? "cn-hangzhou"
            guard Validation.isDNSLabel(region) else {
                throw BrokerError.invalid("\(field).region", "must be a region id such as cn-hangzhou")
            }
            switch account.kind {
            case "simulated":
                let latency = try duration(account.simulated?.latency, default: 0, field: "\(field).simulated.latency")
                let settle = try duration(account.simulated?.settleDelay, default: 20, field: "\(field).simulated.settleDelay")
                let vpcs = try
                    (account.simulated?.vpcs ?? [.init(id: SimulatedVPC.default.id, cidrBlocks: SimulatedVPC.default.cidrBlocks)])
                    .enumerated().map { index, vpc in try vpc.validated(field: "\(field).simulated.vpcs[\(index)]") }
                guard !vpcs.isEmpty else { throw BrokerError.invalid("\(field).simulated.vpcs", "must list at least one VPC") }
                return .simulated(
                    name: account.name, region: region, latency: .milliseconds(latency), settleDelay: .milliseconds(settle), vpcs: vpcs)
            case "alibaba":
                guard let alibaba = account.alibaba else {
                    throw BrokerError.invalid("\(field).alibaba", "is required for an alibaba account")
                }
                return .alibaba(
                    try alibaba.configuration(account: account.name, region: region, field: "\(field).alibaba", environment: environment))
            default:
                throw BrokerError.invalid("\(field).kind", "must be simulated or alibaba (got '\(account.kind)')")
            }
        }
    }

    struct Document: Decodable {
        var accounts: [Account]
    }

    struct Account: Decodable {
        var name: String
        var kind: String
        var region: String?
        var simulated: Simulated?
        var alibaba: Alibaba?
    }

    struct Alibaba: Decodable {
        var credentials: Credentials
        var signatureVersion: String?
        /// One URL for every product (an emulator), or per product below.
        var endpoint: String?
        var endpoints: [String: String]?
        var timeout: String?
        var rateLimits: [String: Double]?
        var bandwidthPackageIpLimit: Int?

        struct Credentials: Decodable {
            var source: String
            var accessKeyId: String?
            var accessKeySecret: String?
            var securityToken: String?
            var roleName: String?
            var metadataEndpoint: String?
            var imdsToken: Bool?
            var roleArn: String?
            var oidcProviderArn: String?
            var oidcTokenFile: String?
            var sessionName: String?
            var sessionDuration: String?
            var stsEndpoint: String?
        }

        func configuration(account: String, region: String, field: String, environment: [String: String]) throws
            -> AlibabaCloudProvider.Configuration
        {
            func required(_ value: String?, _ key: String) throws -> String {
                guard let value, !value.isEmpty else {
                    throw BrokerError.invalid("\(field).credentials.\(key)", "is required for source \(credentials.source)")
                }
                return value
            }
            func url(_ text: String?, _ key: String) throws -> URL? {
                guard let text else { return nil }
                guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                    throw BrokerError.invalid("\(field).\(key)", "must be an http(s) URL (got '\(text)')")
                }
                return url
            }
            let source: AlibabaCredentialSource
            switch credentials.source {
            case "accessKey":
                source = .accessKey(
                    id: try required(credentials.accessKeyId, "accessKeyId"),
                    secret: try required(credentials.accessKeySecret, "accessKeySecret"))
            case "stsToken":
                source = .stsToken(
                    id: try required(credentials.accessKeyId, "accessKeyId"),
                    secret: try required(credentials.accessKeySecret, "accessKeySecret"),
                    token: try required(credentials.securityToken, "securityToken")
                )
            case "ecsRamRole":
                source = .ecsRAMRole(
                    roleName: credentials.roleName,
                    metadataEndpoint: try url(credentials.metadataEndpoint, "credentials.metadataEndpoint")
                        ?? AlibabaCredentialSource.defaultMetadataEndpoint,
                    useIMDSToken: credentials.imdsToken ?? true
                )
            case "oidcRole":
                let duration = try AccountsFile.duration(
                    credentials.sessionDuration, default: 3_600_000, field: "\(field).credentials.sessionDuration")
                source = .oidcRole(
                    roleARN: try required(
                        credentials.roleArn ?? environment[AlibabaCredentialSource.EnvironmentVariable.roleARN], "roleArn"),
                    providerARN: try required(
                        credentials.oidcProviderArn ?? environment[AlibabaCredentialSource.EnvironmentVariable.providerARN],
                        "oidcProviderArn"),
                    tokenFile: try required(
                        credentials.oidcTokenFile ?? environment[AlibabaCredentialSource.EnvironmentVariable.tokenFile], "oidcTokenFile"),
                    sessionName: credentials.sessionName ?? "eip-broker", duration: .milliseconds(duration),
                    stsEndpoint: try url(credentials.stsEndpoint, "credentials.stsEndpoint") ?? AlibabaCredentialSource.defaultSTSEndpoint
                )
            default:
                throw BrokerError.invalid(
                    "\(field).credentials.source", "must be accessKey, stsToken, ecsRamRole or oidcRole (got '\(credentials.source)')")
            }
            var endpoints = AlibabaEndpoints()
            if let all = try url(endpoint, "endpoint") { endpoints = .all(at: all) }
            for (key, text) in (self.endpoints ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let product = [AlibabaProduct.vpc, .ecs, .sts].first(where: { $0.code == key }) else {
                    throw BrokerError.invalid("\(field).endpoints.\(key)", "must be vpc, ecs or sts")
                }
                endpoints.overrides[product] = try url(text, "endpoints.\(key)")
            }
            var rpc = AlibabaRPCClient.Configuration()
            switch signatureVersion ?? "v3" {
            case "v3": rpc.signatureVersion = .v3
            case "v1": rpc.signatureVersion = .v1
            case let other: throw BrokerError.invalid("\(field).signatureVersion", "must be v3 or v1 (got '\(other)')")
            }
            rpc.timeout = .milliseconds(try AccountsFile.duration(timeout, default: 10_000, field: "\(field).timeout"))
            var limits = AlibabaRateLimits()
            for (action, perMinute) in rateLimits ?? [:] {
                guard perMinute > 0 else {
                    throw BrokerError.invalid("\(field).rateLimits.\(action)", "must be a positive number of calls per minute")
                }
                if action == "default" {
                    limits.defaultRate = .init(perMinute: perMinute)
                } else {
                    limits.actions[action] = .init(perMinute: perMinute)
                }
            }
            let packageLimit = bandwidthPackageIpLimit ?? 100
            guard (1...10_000).contains(packageLimit) else {
                throw BrokerError.invalid(
                    "\(field).bandwidthPackageIpLimit", "must be the number of EIPs a shared bandwidth package may hold, 1 to 10000")
            }
            return AlibabaCloudProvider.Configuration(
                account: account, defaultRegion: region, credentials: source, endpoints: endpoints, rpc: rpc, rateLimits: limits,
                bandwidthPackageIPLimit: packageLimit)
        }

    }

    struct Simulated: Decodable {
        var latency: String?
        var settleDelay: String?
        var vpcs: [VPC]?

        struct VPC: Decodable {
            var id: String
            var cidrBlocks: [String]

            func validated(field: String) throws -> SimulatedVPC {
                guard Validation.isCloudID(id, prefix: "vpc-") else {
                    throw BrokerError.invalid("\(field).id", "must look like vpc-xxxx (got '\(id.prefix(80))')")
                }
                for (index, block) in cidrBlocks.enumerated() where !SimulatedVPC.isValidBlock(block) {
                    throw BrokerError.invalid(
                        "\(field).cidrBlocks[\(index)]", "must be an IPv4 CIDR block such as 10.0.0.0/16 (got '\(block.prefix(80))')")
                }
                return SimulatedVPC(id: id, cidrBlocks: cidrBlocks)
            }
        }
    }

    /// Replaces `${NAME}` with the environment's value; an unset variable is an error naming it.
    static func expand(_ text: String, environment: [String: String]) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw BrokerError.invalid("accounts file", "has an unclosed '${'")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw BrokerError.invalid("accounts file", "refers to the environment variable \(name), which is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    static func duration(_ text: String?, default fallback: Int64, field: String) throws -> Int64 {
        guard let text else { return fallback }
        guard let ms = GoDuration.milliseconds(text) else {
            throw BrokerError.invalid(field, "must be a duration such as 20ms or 1s (got '\(text)')")
        }
        return ms
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(
                in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)).\(key.stringValue) is required".trimmingCharacters(in: CharacterSet(charactersIn: "."))
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "could not be read"
        }
    }
}
