import EIPCore
public import Foundation

/// When ``AlibabaCredentialProvider`` fetches temporary credentials again.
///
/// Credentials are refreshed ahead of their `Expiration`: once less than ``ahead`` or less than
/// ``aheadFraction`` of their lifetime remains, whichever comes first. While they still have
/// more than ``minimumRemaining`` left, a failed refresh is logged and the old credentials keep
/// being used (and the refresh is tried again after ``retryAfterFailure``); after that, callers
/// wait for new ones.
public struct AlibabaCredentialRefreshPolicy: Sendable, Hashable {
    /// Refresh once less than this remains (default 5 minutes).
    public var ahead: Duration
    /// Refresh once less than this fraction of the lifetime remains (default 0.2).
    public var aheadFraction: Double
    /// Credentials with less than this left are not used (default 10 seconds).
    public var minimumRemaining: Duration
    /// After a failed ahead-of-time refresh, or one that brought back the same credentials (the
    /// service has not rotated them yet), the pause before the next attempt (default 10 seconds).
    public var retryAfterFailure: Duration
    /// The time one request to the metadata service or STS may take (default 5 seconds).
    public var requestTimeout: Duration

    public init(
        ahead: Duration = .seconds(300), aheadFraction: Double = 0.2, minimumRemaining: Duration = .seconds(10),
        retryAfterFailure: Duration = .seconds(10), requestTimeout: Duration = .seconds(5)
    ) {
        self.ahead = ahead
        self.aheadFraction = aheadFraction
        self.minimumRemaining = minimumRemaining
        self.retryAfterFailure = retryAfterFailure
        self.requestTimeout = requestTimeout
    }

    /// Whether credentials fetched at `fetchedAt` are due for a refresh at `now`.
    public func isDue(_ credentials: AlibabaCredentials, fetchedAt: Date, now: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        let remaining = expiration.timeIntervalSince(now)
        let lifetime = max(expiration.timeIntervalSince(fetchedAt), 0)
        return remaining < max(ahead.timeInterval, lifetime * aheadFraction)
    }

    /// Whether the credentials may still be used at `now`.
    public func isUsable(_ credentials: AlibabaCredentials, now: Date) -> Bool {
        guard let expiration = credentials.expiration else { return true }
        return expiration.timeIntervalSince(now) > minimumRemaining.timeInterval
    }
}
