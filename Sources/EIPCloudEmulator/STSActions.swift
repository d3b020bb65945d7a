import EIPCloud
import EIPCore
import Foundation
import HTTPTypes

/// STS `2015-04-01`: `AssumeRoleWithOIDC` (unsigned, RRSA's exchange of a service account
/// token for credentials) and `GetCallerIdentity` (signed; says who signed).
///
/// The emulator checks the OIDC token's form (a JWT: three dot-separated parts), not its
/// signature, and issues credentials that sign VPC and ECS calls until they expire.
struct STSActions: Sendable {
    let issuer: CredentialIssuer
    let accountID: String
    /// Caps `DurationSeconds` when set.
    let expiry: Duration?

    func handle(_ call: RPCCall) async throws -> JSONValue {
        switch call.target.action {
        case "AssumeRoleWithOIDC": return try assumeRoleWithOIDC(call.parameters)
        case "GetCallerIdentity": return callerIdentity(call.caller)
        default:
            throw EmulatorAPIError(.notFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        }
    }

    private func assumeRoleWithOIDC(_ parameters: RPCParameters) throws(EmulatorAPIError) -> JSONValue {
        let roleARN = try parameters.required("RoleArn")
        let providerARN = try parameters.required("OIDCProviderArn")
        let token = try parameters.required("OIDCToken")
        let sessionName = try parameters.required("RoleSessionName")
        let duration = try parameters.int("DurationSeconds", in: 900...43_200) ?? 3600
        guard roleARN.hasPrefix("acs:ram::"), roleARN.contains(":role/") else {
            throw EmulatorAPIError(.badRequest, "InvalidParameter.RoleArn", "The parameter RoleArn is invalid: \(roleARN).")
        }
        guard providerARN.hasPrefix("acs:ram::"), providerARN.contains(":oidc-provider/") else {
            throw EmulatorAPIError(
                .badRequest, "InvalidParameter.OIDCProviderArn", "The parameter OIDCProviderArn is invalid: \(providerARN).")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw EmulatorAPIError(.badRequest, "InvalidParameter.OIDCToken", "The OIDC token is not a JWT.")
        }
        var lifetime = Duration.seconds(duration)
        if let expiry { lifetime = min(lifetime, expiry) }
        let credential = issuer.issue(roleARN: roleARN, sessionName: sessionName, lifetime: lifetime)
        let claims = Self.claims(of: parts[1])
        let roleName = roleARN.split(separator: "/").last.map(String.init) ?? roleARN
        return [
            "Credentials": [
                "AccessKeyId": .string(credential.accessKeyID),
                "AccessKeySecret": .string(credential.accessKeySecret),
                "SecurityToken": .string(credential.securityToken),
                "Expiration": .string(AlibabaTimestamp.format(credential.expiration)),
            ],
            "AssumedRoleUser": [
                "AssumedRoleId": .string("3\(accountID.suffix(15)):\(sessionName)"),
                "Arn": .string("acs:ram::\(accountID):assumed-role/\(roleName)/\(sessionName)"),
            ],
            "OIDCTokenInfo": [
                "Subject": .string(claims["sub"] ?? ""),
                "Issuer": .string(claims["iss"] ?? ""),
                "ClientIds": .string(claims["aud"] ?? ""),
            ],
        ]
    }

    private func callerIdentity(_ caller: CallerIdentity) -> JSONValue {
        switch caller {
        case .sts(let credential):
            let roleName = credential.roleARN.split(separator: "/").last.map(String.init) ?? credential.roleARN
            return [
                "AccountId": .string(accountID),
                "IdentityType": "AssumedRoleUser",
                "Arn": .string("acs:ram::\(accountID):assumed-role/\(roleName)/\(credential.sessionName)"),
                "PrincipalId": .string("3\(accountID.suffix(15)):\(credential.sessionName)"),
            ]
        case .accessKey, .anonymous:
            return [
                "AccountId": .string(accountID),
                "IdentityType": "Account",
                "Arn": .string("acs:ram::\(accountID):root"),
                "PrincipalId": .string(accountID),
            ]
        }
    }

    /// The string claims of a JWT payload (base64url JSON); empty when it is not decodable.
    static func claims(of payload: Substring) -> [String: String] {
        guard let data = Base64URL.decode(payload),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        var claims: [String: String] = [:]
        for (key, value) in object {
            if let text = value as? String {
                claims[key] = text
            } else if let list = value as? [String] {
                claims[key] = list.joined(separator: ",")
            }
        }
        return claims
    }
}
