import EIPCloud
import Foundation

/// A set of STS credentials the emulator handed out (metadata service or `AssumeRoleWithOIDC`).
/// The secret and the token are never logged.
struct IssuedCredential: Sendable, Hashable, CustomStringConvertible {
    var accessKeyID: String
    var accessKeySecret: String
    var securityToken: String
    var issuedAt: Date
    var expiration: Date
    /// `acs:ram::ACCOUNT:role/ROLE`, the role the credentials act as.
    var roleARN: String
    var sessionName: String

    func isExpired(at now: Date) -> Bool { now >= expiration }

    var description: String { "IssuedCredential(\(accessKeyID), expires \(AlibabaTimestamp.format(expiration)))" }
}
