import Synchronization

/// The hashes of tokens that authenticated on this replica, each with the rate-limit key of its
/// owner, so a caller over its rate is refused before its token is looked up in the database: a
/// flood of requests from one cluster then costs the books nothing.
///
/// Only a hint for the limiter, never for authentication: every request that is let through is
/// still looked up, and a token that no longer authenticates is forgotten. Bounded: when
/// ``maximumTokens`` are known it starts again from none.
final class KnownTokens: Sendable {
    /// Whom a token's requests are charged to: the limiter's key, and how a refusal names it.
    struct Owner: Sendable, Equatable {
        var key: String
        var label: String
    }

    let maximumTokens: Int
    private let owners = Mutex<[String: Owner]>([:])

    init(maximumTokens: Int = 100_000) {
        self.maximumTokens = max(maximumTokens, 1)
    }

    /// The rate-limit key of the owner of the token with this hash, if it authenticated here.
    func owner(ofHash hash: String) -> Owner? {
        self.owners.withLock { $0[hash] }
    }

    /// Remembers that the token with this hash belongs to `owner`.
    func remember(_ hash: String, owner: Owner) {
        self.owners.withLock { owners in
            if owners[hash] == nil, owners.count >= self.maximumTokens { owners.removeAll(keepingCapacity: true) }
            owners[hash] = owner
        }
    }

    /// Forgets the token with this hash (it no longer authenticates).
    func forget(_ hash: String) {
        _ = self.owners.withLock { $0.removeValue(forKey: hash) }
    }
}
