import EIPCore
import Foundation
import Synchronization

/// Issues STS credentials and recognises them when they sign a request: `STS.`-prefixed access
/// key ids with a secret and a security token, valid until their expiration.
final class CredentialIssuer: Sendable {
    private let issued = Mutex<[String: IssuedCredential]>([:])
    private let stats: EmulatorStats
    /// The time credentials are issued at and expire on.
    let clock: WallClock

    init(stats: EmulatorStats, clock: WallClock) {
        self.stats = stats
        self.clock = clock
    }

    /// New credentials for `roleARN`, valid for `lifetime` from now.
    func issue(roleARN: String, sessionName: String, lifetime: Duration) -> IssuedCredential {
        let now = clock.now()
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        let credential = IssuedCredential(
            accessKeyID: "STS." + Self.randomToken(length: 24, alphabet: Self.alphanumerics),
            accessKeySecret: Self.randomToken(length: 44, alphabet: Self.alphanumerics),
            securityToken: "CAIS" + Self.randomToken(length: 280, alphabet: Self.base64Alphabet),
            issuedAt: now,
            expiration: now.addingTimeInterval(seconds),
            roleARN: roleARN,
            sessionName: sessionName
        )
        issued.withLock { issued in
            issued = issued.filter { $0.value.expiration > now.addingTimeInterval(-3600) }
            issued[credential.accessKeyID] = credential
        }
        stats.countIssuedCredential()
        return credential
    }

    /// The credentials with this access key id, expired or not.
    func credential(accessKeyID: String) -> IssuedCredential? {
        issued.withLock { $0[accessKeyID] }
    }

    /// The credentials carrying this security token, expired or not.
    func credential(securityToken: String) -> IssuedCredential? {
        issued.withLock { $0.values.first { $0.securityToken == securityToken } }
    }

    /// Makes every credential issued so far expired now.
    func expireAll() {
        let now = clock.now()
        issued.withLock { issued in
            for (key, credential) in issued where credential.expiration > now { issued[key]?.expiration = now }
        }
    }

    static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    static let base64Alphabet = alphanumerics + Array("+/")

    static func randomToken(length: Int, alphabet: [Character]) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
