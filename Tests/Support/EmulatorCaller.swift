import AsyncHTTPClient
import EIPCloud
import EIPCloudEmulator
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Hand-signed calls to a cloud emulator over real HTTP, built with ``AlibabaSignature`` alone,
/// as a client written from Alibaba's documentation would send them.
///
/// ```swift
/// let caller = EmulatorCaller(url: running.url, client: client)
/// let reply = try await caller.call("DescribeEipAddresses", ["RegionId": "cn-hangzhou"], style: .v3Query)
/// ```
struct EmulatorCaller: Sendable {
    /// How a call is signed and where its parameters go.
    enum Style: Sendable, CaseIterable, CustomStringConvertible {
        /// V1, every parameter in the query string.
        case v1Get
        /// V1, every parameter in a form body.
        case v1Post
        /// V3, the RPC parameters in the query string, empty body.
        case v3Query
        /// V3, the RPC parameters in a form body.
        case v3Form

        var description: String {
            switch self {
            case .v1Get: "V1 GET"
            case .v1Post: "V1 POST form"
            case .v3Query: "V3 query"
            case .v3Form: "V3 form"
            }
        }
    }

    static let vpcVersion = "2016-04-28"
    static let ecsVersion = "2014-05-26"
    static let stsVersion = "2015-04-01"

    var url: String
    var client: HTTPClient
    var accessKeyID = EmulatorConfiguration.testAccessKeyID
    var accessKeySecret = EmulatorConfiguration.testAccessKeySecret
    var securityToken: String?

    /// `2026-11-26T21:00:00Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// One signed call.
    /// - Parameters:
    ///   - date: the signing time (`Timestamp` / `x-acs-date`).
    ///   - nonce: the signature nonce (a new one by default).
    func call(
        _ action: String, version: String = vpcVersion, _ parameters: [String: String], style: Style = .v3Query, date: Date = Date(),
        nonce: String = UUID().uuidString
    ) async throws -> TestResponse {
        switch style {
        case .v1Get, .v1Post:
            var all = parameters
            all["Action"] = action
            all["Version"] = version
            all["Format"] = "JSON"
            all["AccessKeyId"] = accessKeyID
            all["SignatureMethod"] = "HMAC-SHA1"
            all["SignatureVersion"] = "1.0"
            all["SignatureNonce"] = nonce
            all["Timestamp"] = Self.timestamp(date)
            if let securityToken { all["SecurityToken"] = securityToken }
            let method = style == .v1Get ? "GET" : "POST"
            all["Signature"] = AlibabaSignature.signatureV1(method: method, parameters: all, accessKeySecret: accessKeySecret)
            let encoded = Self.form(all)
            if style == .v1Get {
                return try await send(HTTPClientRequest(url: url + "/?" + encoded))
            }
            var request = HTTPClientRequest(url: url + "/")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: encoded))
            return try await send(request)
        case .v3Query, .v3Form:
            let query = style == .v3Query ? parameters : [:]
            let body = style == .v3Form ? Array(Self.form(parameters).utf8) : []
            var headers = [
                "host": String(url.dropFirst("http://".count)),
                "x-acs-action": action,
                "x-acs-version": version,
                "x-acs-date": Self.timestamp(date),
                "x-acs-signature-nonce": nonce,
                "x-acs-content-sha256": AlibabaSignature.hexSHA256(body),
            ]
            if let securityToken { headers["x-acs-security-token"] = securityToken }
            if style == .v3Form { headers["content-type"] = "application/x-www-form-urlencoded" }
            let authorization = AlibabaSignature.authorizationV3(
                method: "POST", path: "/", query: query, headers: headers, body: body, accessKeyID: accessKeyID,
                accessKeySecret: accessKeySecret
            )
            var request = HTTPClientRequest(url: url + "/" + (query.isEmpty ? "" : "?" + Self.form(query)))
            request.method = .POST
            for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
            request.headers.add(name: "Authorization", value: authorization)
            request.body = .bytes(ByteBuffer(bytes: body))
            return try await send(request)
        }
    }

    /// An unsigned request (metadata service, STS `AssumeRoleWithOIDC`, `/_emulator/*`).
    func plain(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], form: [String: String]? = nil, body: String? = nil)
        async throws -> TestResponse
    {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.form(form)))
        } else if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return try await send(request)
    }

    /// `k=v&...`, percent-encoded as Alibaba's signatures do.
    static func form(_ parameters: [String: String]) -> String {
        parameters.sorted { $0.key < $1.key }
            .map { AlibabaSignature.percentEncode($0.key) + "=" + AlibabaSignature.percentEncode($0.value) }
            .joined(separator: "&")
    }

    private func send(_ request: HTTPClientRequest) async throws -> TestResponse {
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 << 20)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
    }
}
