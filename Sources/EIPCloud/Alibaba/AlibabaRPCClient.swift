public import AsyncHTTPClient
import EIPCore
import Foundation
public import Logging
import NIOHTTP1

/// Makes one signed call to Alibaba Cloud's RPC-style OpenAPI and decodes the answer.
///
/// Signature V3 (`ACS3-HMAC-SHA256`, what current SDKs use) by default, V1 (`HMAC-SHA1`)
/// when configured. Always `POST /`; the action's parameters travel in the query string or
/// in a form body (``Configuration/parameterLocation``). A non-2xx answer, or a body with a
/// `Code`, throws ``AlibabaAPIError``; transport failures and timeouts throw the HTTP client's
/// error. No retries and no pacing here: see ``AlibabaRetryPolicy`` and ``AlibabaRateLimiter``.
///
/// ```swift
/// let client = AlibabaRPCClient(credentials: AlibabaCredentialProvider(source: .accessKey(id: id, secret: secret)))
/// let answer = try await client.call(
///     AlibabaRPCRequest(endpoint: URL(string: "https://vpc.aliyuncs.com")!, version: "2016-04-28",
///                       action: "DescribeEipAddresses", parameters: ["RegionId": "cn-hangzhou"]))
/// ```
public struct AlibabaRPCClient: Sendable {
    /// Where an action's own parameters go.
    public enum ParameterLocation: String, Sendable, Hashable {
        /// In the query string (what Alibaba's SDKs do for RPC actions).
        case query
        /// In an `application/x-www-form-urlencoded` body (for long parameter lists).
        case formBody
    }

    /// How calls are signed, sent and bounded.
    public struct Configuration: Sendable, Hashable {
        public var signatureVersion: AlibabaSignature.Version
        public var parameterLocation: ParameterLocation
        /// The most one call may take, connecting and reading the answer included.
        public var timeout: Duration
        /// Answers longer than this are refused.
        public var maximumResponseBytes: Int
        public var userAgent: String

        public init(
            signatureVersion: AlibabaSignature.Version = .v3, parameterLocation: ParameterLocation = .query,
            timeout: Duration = .seconds(10),
            maximumResponseBytes: Int = 8 << 20, userAgent: String = "eip-broker"
        ) {
            self.signatureVersion = signatureVersion
            self.parameterLocation = parameterLocation
            self.timeout = timeout
            self.maximumResponseBytes = maximumResponseBytes
            self.userAgent = userAgent
        }
    }

    public let credentials: AlibabaCredentialProvider
    public let configuration: Configuration
    private let transport: AlibabaHTTPTransport

    public init(httpClient: HTTPClient = .shared, credentials: AlibabaCredentialProvider, configuration: Configuration = .init()) {
        self.transport = AlibabaHTTPTransport(httpClient: httpClient)
        self.credentials = credentials
        self.configuration = configuration
    }

    /// Signs and sends `request`, returning the successful answer.
    /// - Throws: ``AlibabaAPIError`` when the cloud refuses; ``AlibabaCredentialError`` when no
    ///   credentials could be had; the HTTP client's errors for transport failures and timeouts.
    public func call(_ request: AlibabaRPCRequest, logger: Logger) async throws -> AlibabaRPCResponse {
        let credentials = try await credentials.credentials()
        let signed = sign(request, with: credentials, now: self.credentials.clock.now(), nonce: UUID().uuidString)
        let start = ContinuousClock.now
        let response = try await transport.send(
            .POST, signed.url, headers: signed.headers, body: signed.body, timeout: configuration.timeout,
            maximumBytes: configuration.maximumResponseBytes
        )
        let result = try Self.interpret(response, action: request.action, secrets: credentials.secrets)
        logger.debug(
            "Alibaba call answered",
            metadata: [
                "action": "\(request.action)", "host": "\(request.endpoint.host ?? "-")", "status": "\(response.status)",
                "requestID": "\(result.requestID ?? "-")", "elapsed": "\(ContinuousClock.now - start)",
            ]
        )
        return result
    }

    /// Calls and decodes the answer as `type`.
    public func call<Response: Decodable>(_ request: AlibabaRPCRequest, as type: Response.Type, logger: Logger) async throws -> Response {
        let response = try await call(request, logger: logger)
        do {
            return try response.decode(type)
        } catch {
            throw AlibabaAPIError(
                code: "SDK.InvalidResponse", message: "the answer does not decode as \(type): \(error)", requestID: response.requestID,
                httpStatus: response.httpStatus, action: request.action
            )
        }
    }

    /// A request ready to send.
    struct SignedRequest {
        var url: URL
        var headers: [(String, String)]
        var body: [UInt8]?
    }

    /// Signs `request` for the configured signature version and parameter location.
    func sign(_ request: AlibabaRPCRequest, with credentials: AlibabaCredentials, now: Date, nonce: String) -> SignedRequest {
        let host = AlibabaHTTPTransport.hostHeader(for: request.endpoint)
        let parameters = request.parameters.values
        var query: [String: String] = [:]
        var form: [String: String] = [:]
        switch configuration.parameterLocation {
        case .query: query = parameters
        case .formBody: form = parameters
        }
        var headers: [(String, String)] = [("host", host), ("accept", "application/json"), ("user-agent", configuration.userAgent)]
        switch configuration.signatureVersion {
        case .v3:
            let body = form.isEmpty ? [] : Array(AlibabaSignature.canonicalQuery(form).utf8)
            var signed: [String: String] = [
                "host": host,
                "x-acs-action": request.action,
                "x-acs-version": request.version,
                "x-acs-date": AlibabaTimestamp.format(now),
                "x-acs-signature-nonce": nonce,
                "x-acs-content-sha256": AlibabaSignature.hexSHA256(body),
            ]
            if let token = credentials.securityToken { signed["x-acs-security-token"] = token }
            if !body.isEmpty { signed["content-type"] = "application/x-www-form-urlencoded" }
            let authorization = AlibabaSignature.authorizationV3(
                method: "POST", path: "/", query: query, headers: signed, body: body, accessKeyID: credentials.accessKeyID,
                accessKeySecret: credentials.accessKeySecret
            )
            headers += signed.filter { $0.key != "host" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            headers.append(("authorization", authorization))
            return SignedRequest(url: Self.url(request.endpoint, query: query), headers: headers, body: body.isEmpty ? nil : body)
        case .v1:
            var common: [String: String] = [
                "Action": request.action,
                "Version": request.version,
                "Format": "JSON",
                "AccessKeyId": credentials.accessKeyID,
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
                "SignatureNonce": nonce,
                "Timestamp": AlibabaTimestamp.format(now),
            ]
            if let token = credentials.securityToken { common["SecurityToken"] = token }
            query.merge(common) { _, new in new }
            query["Signature"] = AlibabaSignature.signatureV1(
                method: "POST", parameters: query.merging(form) { first, _ in first }, accessKeySecret: credentials.accessKeySecret
            )
            var body: [UInt8]?
            if !form.isEmpty {
                body = Array(AlibabaSignature.canonicalQuery(form).utf8)
                headers.append(("content-type", "application/x-www-form-urlencoded"))
            }
            return SignedRequest(url: Self.url(request.endpoint, query: query), headers: headers, body: body)
        }
    }

    private static func url(_ endpoint: URL, query: [String: String]) -> URL {
        var base = endpoint.absoluteString
        if let queryStart = base.firstIndex(of: "?") { base = String(base[..<queryStart]) }
        if !base.hasSuffix("/") { base += "/" }
        guard !query.isEmpty else { return URL(string: base)! }
        return URL(string: base + "?" + AlibabaSignature.canonicalQuery(query))!
    }

    private struct ErrorBody: Decodable {
        var requestID: String?
        var code: String?
        var message: String?
        var recommend: String?

        enum CodingKeys: String, CodingKey {
            case requestID = "RequestId"
            case code = "Code"
            case message = "Message"
            case recommend = "Recommend"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            requestID = try? container.decodeIfPresent(String.self, forKey: .requestID)
            code =
                (try? container.decodeIfPresent(String.self, forKey: .code))
                ?? (try? container.decodeIfPresent(Int.self, forKey: .code)).map { String($0) }
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            recommend = try? container.decodeIfPresent(String.self, forKey: .recommend)
        }
    }

    /// The successful answer, or the ``AlibabaAPIError`` it stands for.
    static func interpret(_ response: AlibabaHTTPTransport.Response, action: String, secrets: [String]) throws -> AlibabaRPCResponse {
        let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))
        let requestID = decoded?.requestID ?? response.headers.first(name: "x-acs-request-id")
        let errorCode = decoded?.code.flatMap { ["Success", "200", "OK"].contains($0) ? nil : $0 }
        guard !response.isSuccess || errorCode != nil else {
            return AlibabaRPCResponse(httpStatus: response.status, requestID: requestID, body: response.body)
        }
        let retryAfter = response.headers.first(name: "x-acs-retry-after").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            .flatMap { $0 > 0 ? Duration.milliseconds($0) : nil }
        let message: String
        if let text = decoded?.message {
            message = text
        } else if decoded == nil {
            message = "HTTP \(response.status): " + String(response.text.prefix(200))
        } else {
            message = "no message"
        }
        throw AlibabaAPIError(
            code: errorCode ?? "HTTP.\(response.status)", message: scrub(message, secrets: secrets), requestID: requestID,
            httpStatus: response.status, action: action, retryAfter: retryAfter, recommend: decoded?.recommend
        )
    }

    /// `text` with every secret, raw or percent-encoded (once or twice, as a V1 string to sign
    /// holds it), replaced by `<redacted>`.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var scrubbed = text
        for secret in secrets where secret.count >= 4 {
            let once = AlibabaSignature.percentEncode(secret)
            for form in [AlibabaSignature.percentEncode(once), once, secret] {
                scrubbed = scrubbed.replacingOccurrences(of: form, with: "<redacted>")
            }
        }
        return scrubbed
    }
}
