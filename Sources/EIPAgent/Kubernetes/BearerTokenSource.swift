import Foundation
import Synchronization

/// The `Authorization` header of each request, from ``KubernetesCredentials``: a fixed token,
/// or a token file read again when the copy in memory is older than its refresh interval or
/// after the server answered `401` (the kubelet rotates projected service-account tokens).
final class BearerTokenSource: Sendable {
    private struct Cached {
        var token: String
        var readAt: ContinuousClock.Instant
    }

    private let credentials: KubernetesCredentials
    private let cached = Mutex<Cached?>(nil)

    init(_ credentials: KubernetesCredentials) {
        self.credentials = credentials
    }

    /// `Bearer <token>`, or `nil` without token credentials.
    func authorization() throws -> String? {
        switch credentials.source {
        case .none:
            return nil
        case .token(let token):
            return "Bearer " + token
        case .tokenFile(let path, let refreshInterval):
            let now = ContinuousClock.now
            if let token = cached.withLock({ cached -> String? in
                guard let cached, cached.readAt.duration(to: now) < refreshInterval else { return nil }
                return cached.token
            }) {
                return "Bearer " + token
            }
            let token = try Self.read(path)
            cached.withLock { $0 = Cached(token: token, readAt: now) }
            return "Bearer " + token
        }
    }

    /// After a `401`: forgets the token in memory and tells whether a fresh read gives another
    /// one, so the request is worth sending again.
    func refreshAfterUnauthorized() -> Bool {
        guard case .tokenFile(let path, _) = credentials.source else { return false }
        guard let fresh = try? Self.read(path) else { return false }
        return cached.withLock { cached in
            let changed = cached?.token != fresh
            cached = Cached(token: fresh, readAt: .now)
            return changed
        }
    }

    private static func read(_ path: String) throws -> String {
        let data = try KubernetesConfiguration.readFile(path, what: "bearer token file")
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubernetesConfigurationError(.unreadableFile, "the bearer token file at \(path) is empty")
        }
        return token
    }
}
