import EIPCore
import Foundation
import NIOHTTP1

/// RRSA: exchanges the pod's OIDC token for STS credentials with an unsigned
/// `AssumeRoleWithOIDC` (a form `POST` to STS), re-reading the token file on every call because
/// kubelet rotates it.
struct AlibabaOIDCFetcher: Sendable {
    let transport: AlibabaHTTPTransport
    let roleARN: String
    let providerARN: String
    let tokenFile: String
    let sessionName: String
    let duration: Duration
    let stsEndpoint: URL
    let timeout: Duration
    let clock: WallClock

    func fetch() async throws -> AlibabaCredentials {
        let token = try readToken()
        let form: [String: String] = [
            "Action": "AssumeRoleWithOIDC",
            "Version": AlibabaProduct.sts.version,
            "Format": "JSON",
            "RoleArn": roleARN,
            "OIDCProviderArn": providerARN,
            "OIDCToken": token,
            "RoleSessionName": sessionName,
            "DurationSeconds": String(Int(duration.timeInterval)),
            "Timestamp": AlibabaTimestamp.format(clock.now()),
            "SignatureNonce": UUID().uuidString,
        ]
        let response: AlibabaHTTPTransport.Response
        do {
            response = try await transport.send(
                .POST, stsEndpoint,
                headers: [
                    ("host", AlibabaHTTPTransport.hostHeader(for: stsEndpoint)),
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("accept", "application/json"),
                ],
                body: Array(AlibabaSignature.canonicalQuery(form).utf8), timeout: timeout, maximumBytes: 256 << 10
            )
        } catch let error as CancellationError {
            throw error
        } catch {
            throw AlibabaCredentialError(.unavailable, "STS at \(stsEndpoint.absoluteString) could not be reached: \(error)")
        }
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body))
        guard response.isSuccess, let answer, answer.Code == nil else {
            throw AlibabaCredentialError(
                response.status >= 500 ? .unavailable : .refused,
                "STS refused AssumeRoleWithOIDC for \(roleARN)" + (answer?.Message.map { ": " + String($0.prefix(256)) } ?? "")
                    + (answer?.RequestId.map { " (RequestId \($0))" } ?? ""),
                serviceCode: answer?.Code, httpStatus: response.status
            )
        }
        guard let credentials = answer.Credentials, let id = credentials.AccessKeyId, !id.isEmpty,
            let secret = credentials.AccessKeySecret, !secret.isEmpty, let securityToken = credentials.SecurityToken, !securityToken.isEmpty
        else {
            throw AlibabaCredentialError(.invalidResponse, "STS's AssumeRoleWithOIDC answer lacks Credentials")
        }
        guard let text = credentials.Expiration, let expiration = AlibabaTimestamp.parse(text) else {
            throw AlibabaCredentialError(.invalidResponse, "STS's AssumeRoleWithOIDC credentials have no valid Expiration")
        }
        return AlibabaCredentials(accessKeyID: id, accessKeySecret: secret, securityToken: securityToken, expiration: expiration)
    }

    private func readToken() throws -> String {
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw AlibabaCredentialError(.tokenFileUnreadable, "the OIDC token file \(tokenFile) cannot be read")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw AlibabaCredentialError(.tokenFileUnreadable, "the OIDC token file \(tokenFile) is empty")
        }
        return token
    }

    private struct Answer: Decodable {
        struct Credentials: Decodable {
            var AccessKeyId: String?
            var AccessKeySecret: String?
            var SecurityToken: String?
            var Expiration: String?
        }

        var RequestId: String?
        var Code: String?
        var Message: String?
        var Credentials: Credentials?
    }
}
