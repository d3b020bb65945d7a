import Crypto
import EIPCore
import Foundation

/// Bearer tokens: how they are made, and the hash they are stored under.
///
/// Tokens are 32 random bytes, so a plain SHA-256 is a sound stored form (no dictionary to guess
/// from); lookups go by hash and the final comparison is constant-time.
enum TokenHasher {
    /// A new token: `eipb_` and 43 base64url characters.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "eipb_" + Base64URL.encode(Data(bytes))
    }

    /// Hex SHA-256 of the token.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two hashes in time independent of where they differ.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
