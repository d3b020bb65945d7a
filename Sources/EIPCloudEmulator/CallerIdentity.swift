/// Who signed an API call.
enum CallerIdentity: Sendable {
    /// The account's own access key pair.
    case accessKey(id: String)
    /// STS credentials the emulator issued.
    case sts(IssuedCredential)
    /// An unsigned call to an action that takes none (`AssumeRoleWithOIDC`).
    case anonymous

    /// The access key id, for logs (never the secret).
    var accessKeyID: String? {
        switch self {
        case .accessKey(let id): id
        case .sts(let credential): credential.accessKeyID
        case .anonymous: nil
        }
    }
}
