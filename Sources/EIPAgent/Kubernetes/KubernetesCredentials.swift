/// How the client authenticates with a bearer token: none, a fixed token, or a token file that is
/// read again as it ages (projected service-account tokens are rotated by the kubelet).
/// Client certificates are part of ``KubernetesTLS`` instead.
///
/// The description never shows a token.
public struct KubernetesCredentials: Sendable, CustomStringConvertible {
    enum Source: Sendable {
        case none
        case token(String)
        case tokenFile(path: String, refreshInterval: Duration)
    }

    let source: Source

    /// No `Authorization` header (client certificates, or an unauthenticated test server).
    public static let none = KubernetesCredentials(source: .none)

    /// A fixed bearer token.
    public static func bearerToken(_ token: String) -> KubernetesCredentials {
        KubernetesCredentials(source: .token(token))
    }

    /// A bearer token read from `path`, read again once the copy in memory is older than
    /// `refreshInterval` and after any `401 Unauthorized`.
    public static func tokenFile(_ path: String, refreshInterval: Duration = .seconds(60)) -> KubernetesCredentials {
        KubernetesCredentials(source: .tokenFile(path: path, refreshInterval: refreshInterval))
    }

    public var description: String {
        switch source {
        case .none: return "none"
        case .token: return "bearer token (redacted)"
        case .tokenFile(let path, let interval): return "bearer token file \(path) (re-read every \(interval))"
        }
    }
}
