import EIPCloud
import EIPCore
import Foundation
import HTTPTypes

/// Checks an API call's signature the way Alibaba's gateway does, by recomputing it with
/// ``AlibabaSignature``: V1 (`Signature` parameter, HMAC-SHA1) or V3 (`Authorization:
/// ACS3-HMAC-SHA256`), then the STS security token, the timestamp and the nonce.
///
/// Answers (all with Alibaba's error body): `InvalidAccessKeyId.NotFound` (404) for an unknown
/// key; `SignatureDoesNotMatch` (400, the message carries the server's string to sign, which
/// holds no secret); `InvalidSecurityToken.Malformed`, `.MismatchWithAccessKey` and `.Expired`
/// (400) for STS keys; `InvalidTimeStamp.Format` and `.Expired` (400) for a timestamp that is
/// malformed or more than the allowance (15 minutes) off; `SignatureNonceUsed` (400) for a
/// nonce seen within the retention time (15 minutes); `MissingParameter` / `InvalidParameter`
/// (400) for absent or malformed signing parameters.
///
/// V3 signs the headers named in `SignedHeaders` (``SignedHeadersCanonicalRequest``); the
/// emulator requires `host` and every `x-acs-*` header sent to be among them.
struct RequestAuthenticator: Sendable {
    let accessKeyID: String
    let accessKeySecret: String
    let clockSkewAllowance: Duration
    let issuer: CredentialIssuer
    let nonces: NonceRegistry

    /// The caller of `request`, or the error to answer.
    func authenticate(_ request: RPCRequest, target: RPCTarget) throws(EmulatorAPIError) -> CallerIdentity {
        if RPCTarget.isV3(request) {
            return try verifyV3(request)
        }
        let parameters = request.parameters
        if target.product.anonymousActions.contains(target.action), parameters["Signature"] == nil {
            return .anonymous
        }
        return try verifyV1(request, parameters: parameters)
    }

    private func verifyV1(_ request: RPCRequest, parameters: [String: String]) throws(EmulatorAPIError) -> CallerIdentity {
        let given = RPCParameters(parameters)
        let signature = try given.required("Signature")
        let keyID = try given.required("AccessKeyId")
        let method = try given.required("SignatureMethod")
        guard method == "HMAC-SHA1" else { throw .invalidParameter("SignatureMethod", "must be HMAC-SHA1 (got '\(method)').") }
        let version = try given.required("SignatureVersion")
        guard version == AlibabaSignature.Version.v1.rawValue else {
            throw .invalidParameter("SignatureVersion", "must be 1.0 (got '\(version)').")
        }
        let timestamp = try given.required("Timestamp")
        let nonce = try given.required("SignatureNonce")

        let (secret, credential) = try secret(for: keyID)
        let expected = AlibabaSignature.signatureV1(method: request.method, parameters: parameters, accessKeySecret: secret)
        guard constantTimeEqual(expected, signature) else {
            var error = EmulatorAPIError.signatureDoesNotMatch
            error.message += " Server string to sign is: \(AlibabaSignature.stringToSignV1(method: request.method, parameters: parameters))"
            throw error
        }
        let identity = try checkToken(credential, keyID: keyID, token: given.string("SecurityToken"))
        try checkTimestamp(timestamp)
        try checkNonce(nonce, keyID: keyID)
        return identity
    }

    private func verifyV3(_ request: RPCRequest) throws(EmulatorAPIError) -> CallerIdentity {
        let authorization = request.headers["authorization"] ?? ""
        let parts = try Self.parseAuthorization(authorization)
        let signedNames = parts.signedHeaders.split(separator: ";").map { $0.lowercased() }
        for name in ["host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"] where request.headers[name] == nil {
            throw .missingParameter(name)
        }
        let mustSign = request.headers.keys.filter { $0 == "host" || $0.hasPrefix("x-acs-") }
        for name in mustSign where !signedNames.contains(name) {
            throw .invalidParameter("Authorization", "SignedHeaders must include '\(name)'.")
        }
        for name in signedNames where request.headers[name] == nil {
            throw .invalidParameter("Authorization", "the signed header '\(name)' is not in the request.")
        }

        let (secret, credential) = try secret(for: parts.credential)
        let hashedPayload = request.headers["x-acs-content-sha256"] ?? ""
        guard hashedPayload == AlibabaSignature.hexSHA256(request.body) else {
            var error = EmulatorAPIError.signatureDoesNotMatch
            error.message += " The x-acs-content-sha256 header is not the SHA-256 of the body."
            throw error
        }
        let canonicalRequest = SignedHeadersCanonicalRequest.build(
            method: request.method, path: request.path, query: request.query, signedHeaders: signedNames, headers: request.headers,
            hashedPayload: hashedPayload
        )
        let expected = AlibabaSignature.signatureV3(canonicalRequest: canonicalRequest, accessKeySecret: secret)
        guard constantTimeEqual(expected, parts.signature.lowercased()) else {
            var error = EmulatorAPIError.signatureDoesNotMatch
            error.message += " Server canonical request is: \(canonicalRequest)"
            throw error
        }
        let identity = try checkToken(credential, keyID: parts.credential, token: request.headers["x-acs-security-token"])
        try checkTimestamp(request.headers["x-acs-date"] ?? "")
        try checkNonce(request.headers["x-acs-signature-nonce"] ?? "", keyID: parts.credential)
        return identity
    }

    /// `ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=a;b,Signature=hex`.
    static func parseAuthorization(_ header: String) throws(EmulatorAPIError) -> (
        credential: String, signedHeaders: String, signature: String
    ) {
        let algorithm = AlibabaSignature.Version.v3.rawValue
        guard header.hasPrefix(algorithm + " ") else {
            throw .invalidParameter("Authorization", "the algorithm must be \(algorithm).")
        }
        var fields: [String: String] = [:]
        for part in header.dropFirst(algorithm.count + 1).split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            fields[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
        }
        guard let credential = fields["Credential"], !credential.isEmpty, let signedHeaders = fields["SignedHeaders"],
            !signedHeaders.isEmpty,
            let signature = fields["Signature"], !signature.isEmpty
        else {
            throw .invalidParameter("Authorization", "it must carry Credential, SignedHeaders and Signature.")
        }
        return (credential, signedHeaders, signature)
    }

    /// The secret of `keyID`, and the STS credentials it belongs to, if any.
    private func secret(for keyID: String) throws(EmulatorAPIError) -> (String, IssuedCredential?) {
        if keyID == accessKeyID { return (accessKeySecret, nil) }
        if let credential = issuer.credential(accessKeyID: keyID) { return (credential.accessKeySecret, credential) }
        throw EmulatorAPIError(.notFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    }

    private func checkToken(_ credential: IssuedCredential?, keyID: String, token: String?) throws(EmulatorAPIError) -> CallerIdentity {
        guard let credential else { return .accessKey(id: keyID) }
        guard let token, !token.isEmpty else {
            throw EmulatorAPIError(
                .badRequest, "InvalidSecurityToken.Malformed", "The security token is missing: STS access keys need their SecurityToken.")
        }
        guard token == credential.securityToken else {
            if issuer.credential(securityToken: token) != nil {
                throw EmulatorAPIError(
                    .badRequest, "InvalidSecurityToken.MismatchWithAccessKey", "The security token does not belong to this access key.")
            }
            throw EmulatorAPIError(.badRequest, "InvalidSecurityToken.Malformed", "The security token you provided is malformed.")
        }
        guard !credential.isExpired(at: issuer.clock.now()) else {
            throw EmulatorAPIError(.badRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        }
        return .sts(credential)
    }

    private func checkTimestamp(_ text: String) throws(EmulatorAPIError) {
        guard let date = AlibabaTimestamp.parseExact(text) else {
            throw EmulatorAPIError(
                .badRequest, "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted (yyyy-MM-ddTHH:mm:ssZ, UTC)."
            )
        }
        let allowance = Double(clockSkewAllowance.components.seconds)
        guard abs(date.timeIntervalSince(issuer.clock.now())) <= allowance else {
            throw EmulatorAPIError(.badRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        }
    }

    private func checkNonce(_ nonce: String, keyID: String) throws(EmulatorAPIError) {
        guard !nonce.isEmpty else { throw .missingParameter("SignatureNonce") }
        guard nonces.use(nonce, accessKeyID: keyID) else {
            throw EmulatorAPIError(.badRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
        }
    }

    private func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
