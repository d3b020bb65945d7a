public import Foundation

/// Where an Alibaba account's credentials come from: the configuration's choice.
///
/// ```swift
/// let fixed = AlibabaCredentialSource.accessKey(id: "LTAI...", secret: secret)
/// let onECS = AlibabaCredentialSource.ecsRAMRole()                 // role named by the metadata service
/// let onACK = try AlibabaCredentialSource.oidcRoleFromEnvironment() // RRSA
/// ```
///
/// The description, debug description and mirror redact secrets and tokens, as
/// ``AlibabaCredentials`` does.
public enum AlibabaCredentialSource: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The metadata service of every ECS instance.
    public static let defaultMetadataEndpoint = URL(string: "http://100.100.100.200")!
    /// STS's public endpoint.
    public static let defaultSTSEndpoint = URL(string: "https://sts.aliyuncs.com")!

    /// A long-lived AccessKey pair.
    case accessKey(id: String, secret: String)

    /// Fixed STS credentials (they stop working when they expire; nothing refreshes them).
    case stsToken(id: String, secret: String, token: String)

    /// The RAM role attached to the ECS instance, from its metadata service, refreshed before
    /// it expires.
    /// - Parameters:
    ///   - roleName: the role; `nil` asks the metadata service which role is attached.
    ///   - metadataEndpoint: the metadata service (tests point it at the emulator).
    ///   - useIMDSToken: fetch a session token first (`PUT /latest/api/token`) and send it with
    ///     every metadata request (hardened mode); a failure to get one is an error, there is no
    ///     fallback to unauthenticated requests.
    case ecsRAMRole(
        roleName: String? = nil, metadataEndpoint: URL = AlibabaCredentialSource.defaultMetadataEndpoint, useIMDSToken: Bool = true)

    /// RRSA on ACK: assumes `roleARN` with the pod's OIDC token (`AssumeRoleWithOIDC`), and
    /// again before the credentials expire, re-reading the token file each time (kubelet
    /// rotates it).
    /// - Parameters:
    ///   - duration: the session length asked of STS (at least 15 minutes).
    ///   - stsEndpoint: STS (tests point it at the emulator).
    case oidcRole(
        roleARN: String, providerARN: String, tokenFile: String, sessionName: String = "eip-broker",
        duration: Duration = .seconds(3600), stsEndpoint: URL = AlibabaCredentialSource.defaultSTSEndpoint
    )

    /// The environment variables ACK's RRSA webhook sets on a pod.
    public enum EnvironmentVariable {
        public static let roleARN = "ALIBABA_CLOUD_ROLE_ARN"
        public static let providerARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
        public static let tokenFile = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"
    }

    /// RRSA with the role, provider and token file from `ALIBABA_CLOUD_ROLE_ARN`,
    /// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
    /// - Throws: ``AlibabaCredentialError`` (`.missingConfiguration`) naming the first variable
    ///   that is unset or empty.
    public static func oidcRoleFromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        sessionName: String = "eip-broker", duration: Duration = .seconds(3600), stsEndpoint: URL = defaultSTSEndpoint
    ) throws -> AlibabaCredentialSource {
        func value(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw AlibabaCredentialError(.missingConfiguration, "the environment variable \(name) is not set")
            }
            return value
        }
        return .oidcRole(
            roleARN: try value(EnvironmentVariable.roleARN), providerARN: try value(EnvironmentVariable.providerARN),
            tokenFile: try value(EnvironmentVariable.tokenFile), sessionName: sessionName, duration: duration, stsEndpoint: stsEndpoint
        )
    }

    /// Whether the credentials expire and have to be fetched again.
    public var isRefreshable: Bool {
        switch self {
        case .accessKey, .stsToken: false
        case .ecsRAMRole, .oidcRole: true
        }
    }

    public var description: String {
        switch self {
        case .accessKey(let id, _):
            "accessKey(id: \(AlibabaCredentials.mask(id)), secret: <redacted>)"
        case .stsToken(let id, _, _):
            "stsToken(id: \(AlibabaCredentials.mask(id)), secret: <redacted>, token: <redacted>)"
        case .ecsRAMRole(let roleName, let endpoint, let useIMDSToken):
            "ecsRAMRole(roleName: \(roleName ?? "<from metadata>"), metadataEndpoint: \(endpoint.absoluteString), useIMDSToken: \(useIMDSToken))"
        case .oidcRole(let roleARN, let providerARN, let tokenFile, let sessionName, let duration, let stsEndpoint):
            "oidcRole(roleARN: \(roleARN), providerARN: \(providerARN), tokenFile: \(tokenFile), sessionName: \(sessionName), duration: \(duration), stsEndpoint: \(stsEndpoint.absoluteString))"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["source": description], displayStyle: .enum)
    }
}
