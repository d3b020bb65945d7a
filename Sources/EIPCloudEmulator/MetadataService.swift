import EIPCloud
import EIPCore
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// The ECS instance metadata service's RAM role endpoints, as `100.100.100.200` serves them:
/// `PUT /latest/api/token` (header `X-aliyun-ecs-metadata-token-ttl-seconds`, 1-21600) returns
/// a session token; `GET /latest/meta-data/ram/security-credentials/` names the role;
/// `GET .../security-credentials/ROLE` returns `{Code, AccessKeyId, AccessKeySecret,
/// SecurityToken, Expiration, LastUpdated}`.
///
/// Reads need the token (header `X-aliyun-ecs-metadata-token`) when the emulator requires it;
/// a missing or wrong one is 401. The role's credentials are reissued once less than half of
/// their lifetime remains, so a client refreshing ahead of `Expiration` gets new ones.
final class MetadataService: Sendable {
    private let requireToken: Bool
    private let roleName: String
    private let roleARN: String
    private let lifetime: Duration
    private let issuer: CredentialIssuer
    private let stats: EmulatorStats
    private let tokens = Mutex<[String: ContinuousClock.Instant]>([:])
    private let current = Mutex<IssuedCredential?>(nil)

    init(configuration: EmulatorConfiguration, issuer: CredentialIssuer, stats: EmulatorStats) {
        requireToken = configuration.requireMetadataToken
        roleName = configuration.roleName
        roleARN = "acs:ram::\(configuration.accountID):role/\(configuration.roleName)"
        lifetime = configuration.stsExpiry ?? .seconds(6 * 3600)
        self.issuer = issuer
        self.stats = stats
    }

    static let tokenTTLHeader = HTTPField.Name("X-aliyun-ecs-metadata-token-ttl-seconds")!
    static let tokenHeader = HTTPField.Name("X-aliyun-ecs-metadata-token")!

    /// `PUT /latest/api/token`.
    func issueToken(_ request: Request) -> Response {
        guard let text = request.headers[Self.tokenTTLHeader], let seconds = Int(text), (1...21_600).contains(seconds) else {
            return Self.text(.badRequest, "X-aliyun-ecs-metadata-token-ttl-seconds must be between 1 and 21600")
        }
        let token = CredentialIssuer.randomToken(length: 56, alphabet: CredentialIssuer.alphanumerics)
        let now = ContinuousClock.now
        tokens.withLock { tokens in
            tokens = tokens.filter { $0.value > now }
            tokens[token] = now.advanced(by: .seconds(seconds))
        }
        stats.countMetadataToken()
        return Self.text(.ok, token)
    }

    /// `GET /latest/meta-data/ram/security-credentials/`.
    func roleNames(_ request: Request) -> Response {
        if let refusal = checkToken(request) { return refusal }
        return Self.text(.ok, roleName)
    }

    /// `GET /latest/meta-data/ram/security-credentials/ROLE`.
    func credentials(_ request: Request, role: String) -> Response {
        if let refusal = checkToken(request) { return refusal }
        guard role == roleName else { return Self.text(.notFound, "Not Found") }
        let credential = currentCredential()
        let body: JSONValue = [
            "AccessKeyId": .string(credential.accessKeyID),
            "AccessKeySecret": .string(credential.accessKeySecret),
            "Expiration": .string(AlibabaTimestamp.format(credential.expiration)),
            "SecurityToken": .string(credential.securityToken),
            "LastUpdated": .string(AlibabaTimestamp.format(credential.issuedAt)),
            "Code": "Success",
        ]
        return Response(
            status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized))
        )
    }

    /// The role's credentials, reissued when less than half their lifetime remains.
    private func currentCredential() -> IssuedCredential {
        current.withLock { current in
            let now = issuer.clock.now()
            let half = lifetime.timeInterval / 2
            // The issuer's copy is the truth: it may have been expired on demand.
            if let known = current, let credential = issuer.credential(accessKeyID: known.accessKeyID),
                credential.expiration.timeIntervalSince(now) > half
            {
                return credential
            }
            let fresh = issuer.issue(roleARN: roleARN, sessionName: "ecs-metadata", lifetime: lifetime)
            current = fresh
            return fresh
        }
    }

    /// A 401 answer when the token is required and missing, or given and not valid.
    private func checkToken(_ request: Request) -> Response? {
        guard let token = request.headers[Self.tokenHeader] else {
            return requireToken ? Self.text(.unauthorized, "Unauthorized") : nil
        }
        let now = ContinuousClock.now
        let valid = tokens.withLock { $0[token].map { $0 > now } ?? false }
        return valid ? nil : Self.text(.unauthorized, "Unauthorized")
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
