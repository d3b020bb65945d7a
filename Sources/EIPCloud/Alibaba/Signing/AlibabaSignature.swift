import Crypto
import Foundation

/// Request signing for Alibaba Cloud's RPC-style OpenAPI: signature V1 (`HMAC-SHA1`,
/// `SignatureVersion=1.0`) and V3 (`ACS3-HMAC-SHA256`).
///
/// Pure functions with no I/O: the client signs with them and the emulator verifies by
/// recomputing. Both reproduce Alibaba's published vectors byte for byte (see
/// `AlibabaSignatureTests`).
///
/// ```swift
/// let signature = AlibabaSignature.signatureV1(method: "GET", parameters: params, accessKeySecret: secret)
/// ```
public enum AlibabaSignature {
    /// The signature scheme of a request.
    public enum Version: String, Sendable, Hashable {
        /// `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, signature in the parameters.
        case v1 = "1.0"
        /// `Authorization: ACS3-HMAC-SHA256 ...`, what current SDKs use.
        case v3 = "ACS3-HMAC-SHA256"
    }

    /// The algorithm name that starts a V3 string to sign and `Authorization` header.
    static let v3Algorithm = "ACS3-HMAC-SHA256"

    /// Alibaba's percent-encoding: UTF-8, only A-Z a-z 0-9 - _ . ~ unescaped, uppercase hex (space %20, * %2A, ~ kept).
    public static func percentEncode(_ text: String) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(hex[Int(byte >> 4)])
                encoded.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// V1 canonical query: every parameter but Signature, sorted by name (byte order), k=v joined with &.
    public static func canonicalQueryV1(_ parameters: [String: String]) -> String {
        canonicalQuery(parameters.filter { $0.key != "Signature" })
    }

    /// METHOD + "&%2F&" + percentEncode(canonicalQuery)
    public static func stringToSignV1(method: String, parameters: [String: String]) -> String {
        method.uppercased() + "&" + percentEncode("/") + "&" + percentEncode(canonicalQueryV1(parameters))
    }

    /// base64(HMAC-SHA1(key: secret + "&", stringToSign))
    public static func signatureV1(method: String, parameters: [String: String], accessKeySecret: String) -> String {
        let key = SymmetricKey(data: Array((accessKeySecret + "&").utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(stringToSignV1(method: method, parameters: parameters).utf8),
            using: key
        )
        return Data(mac).base64EncodedString()
    }

    /// hex(SHA-256(bytes))
    public static func hexSHA256(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hexString(hasher.finalize())
    }

    /// V3 canonical request and the semicolon-joined signed header names; headers are signed when
    /// named host, content-type or x-acs-* (lowercased), sorted; values trimmed.
    public static func canonicalRequestV3(
        method: String,
        path: String,
        query: [String: String],
        headers: [String: String],
        hashedPayload: String
    ) -> (canonicalRequest: String, signedHeaders: String) {
        var signed: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard lower == "host" || lower == "content-type" || lower.hasPrefix("x-acs-") else { continue }
            signed[lower] = value.trimmingCharacters(in: .whitespaces)
        }
        let names = signed.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonicalHeaders = names.map { "\($0):\(signed[$0]!)\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            method.uppercased(),
            path.isEmpty ? "/" : path,
            canonicalQuery(query),
            canonicalHeaders,
            signedHeaders,
            hashedPayload,
        ].joined(separator: "\n")
        return (canonicalRequest, signedHeaders)
    }

    /// The `Authorization` header value: "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=...,Signature=hex".
    /// `headers` must already hold host, x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce,
    /// x-acs-content-sha256 (and x-acs-security-token / content-type when used).
    public static func authorizationV3(
        method: String,
        path: String,
        query: [String: String],
        headers: [String: String],
        body: [UInt8],
        accessKeyID: String,
        accessKeySecret: String
    ) -> String {
        let (canonicalRequest, signedHeaders) = canonicalRequestV3(
            method: method,
            path: path,
            query: query,
            headers: headers,
            hashedPayload: hexSHA256(body)
        )
        let signature = signatureV3(canonicalRequest: canonicalRequest, accessKeySecret: accessKeySecret)
        return "\(v3Algorithm) Credential=\(accessKeyID),SignedHeaders=\(signedHeaders),Signature=\(signature)"
    }

    /// The signature part alone (hex HMAC-SHA256 of "ACS3-HMAC-SHA256\n" + hex(sha256(canonicalRequest))).
    public static func signatureV3(canonicalRequest: String, accessKeySecret: String) -> String {
        let stringToSign = v3Algorithm + "\n" + hexSHA256(canonicalRequest.utf8)
        let key = SymmetricKey(data: Array(accessKeySecret.utf8))
        return hexString(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Sorted (byte order of the names), percent-encoded `k=v` pairs joined with `&`: the
    /// canonical query of both signature versions, and the form body Alibaba expects.
    public static func canonicalQuery(_ parameters: [String: String]) -> String {
        parameters
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { percentEncode($0.key) + "=" + percentEncode($0.value) }
            .joined(separator: "&")
    }

    // MARK: - Private

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
            UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
