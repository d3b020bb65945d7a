import Foundation
import NIOHTTP1

/// Fetches the instance RAM role's STS credentials from the ECS metadata service:
/// optionally a session token first (`PUT /latest/api/token`), then the role name (when not
/// configured) and the role's credentials under `/latest/meta-data/ram/security-credentials/`.
struct AlibabaECSMetadataFetcher: Sendable {
    /// The session token's lifetime asked for, in seconds (Alibaba's SDKs ask for 6 hours).
    static let tokenTTLSeconds = 21_600

    let transport: AlibabaHTTPTransport
    let endpoint: URL
    let roleName: String?
    let useIMDSToken: Bool
    let timeout: Duration

    func fetch() async throws -> AlibabaCredentials {
        let token = useIMDSToken ? try await sessionToken() : nil
        var role = roleName ?? ""
        if role.isEmpty {
            role = try await discoverRoleName(token: token)
        }
        let body = try await get("latest/meta-data/ram/security-credentials/\(role)", token: token)
        return try Self.decode(body)
    }

    private func sessionToken() async throws -> String {
        let response = try await exchange(
            .PUT, url("latest/api/token"), headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", String(Self.tokenTTLSeconds))]
        )
        let token = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw AlibabaCredentialError(
                .invalidResponse, "the metadata service at \(endpoint.absoluteString) returned an empty session token")
        }
        return token
    }

    private func discoverRoleName(token: String?) async throws -> String {
        let body = try await get("latest/meta-data/ram/security-credentials/", token: token)
        let role =
            String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !role.isEmpty else {
            throw AlibabaCredentialError(
                .refused, "no RAM role is attached to this instance (metadata service at \(endpoint.absoluteString))")
        }
        return role
    }

    private func get(_ path: String, token: String?) async throws -> [UInt8] {
        try await exchange(.GET, url(path), headers: token.map { [("x-aliyun-ecs-metadata-token", $0)] } ?? []).body
    }

    /// One request; failures become ``AlibabaCredentialError``s that never quote the body
    /// (a credentials answer holds the secret).
    private func exchange(_ method: HTTPMethod, _ url: URL, headers: [(String, String)]) async throws -> AlibabaHTTPTransport.Response {
        let response: AlibabaHTTPTransport.Response
        do {
            response = try await transport.send(method, url, headers: headers, timeout: timeout, maximumBytes: 64 << 10)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw AlibabaCredentialError(.unavailable, "the metadata service at \(endpoint.absoluteString) could not be reached: \(error)")
        }
        guard response.isSuccess else {
            throw AlibabaCredentialError(
                response.status >= 500 ? .unavailable : .refused,
                "the metadata service refused \(method.rawValue) /\(url.path.drop { $0 == "/" })", httpStatus: response.status
            )
        }
        return response
    }

    private func url(_ path: String) -> URL {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(
            string: base + "/"
                + path.split(separator: "/", omittingEmptySubsequences: false).map {
                    AlibabaSignature.percentEncode(String($0))
                }.joined(separator: "/"))!
    }

    private struct Answer: Decodable {
        var Code: String?
        var AccessKeyId: String?
        var AccessKeySecret: String?
        var SecurityToken: String?
        var Expiration: String?
    }

    static func decode(_ body: [UInt8]) throws -> AlibabaCredentials {
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)) else {
            throw AlibabaCredentialError(.invalidResponse, "the metadata service's credentials are not JSON")
        }
        guard answer.Code == "Success" else {
            throw AlibabaCredentialError(
                .refused, "the metadata service did not hand out credentials", serviceCode: answer.Code.map { String($0.prefix(64)) }
            )
        }
        guard let id = answer.AccessKeyId, !id.isEmpty, let secret = answer.AccessKeySecret, !secret.isEmpty,
            let token = answer.SecurityToken, !token.isEmpty
        else {
            throw AlibabaCredentialError(
                .invalidResponse, "the metadata service's credentials lack AccessKeyId, AccessKeySecret or SecurityToken")
        }
        guard let text = answer.Expiration, let expiration = AlibabaTimestamp.parse(text) else {
            throw AlibabaCredentialError(.invalidResponse, "the metadata service's credentials have no valid Expiration")
        }
        return AlibabaCredentials(accessKeyID: id, accessKeySecret: secret, securityToken: token, expiration: expiration)
    }
}
