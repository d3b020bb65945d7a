public import AsyncHTTPClient
public import EIPCore
import Foundation
public import Logging

/// Hands out the current credentials of one ``AlibabaCredentialSource``, fetching temporary
/// ones (ECS RAM role, RRSA) again ahead of their expiry.
///
/// A refresh is single-flight: concurrent callers share one fetch. When a refresh ahead of time
/// fails, the credentials in hand keep being used while they last (see
/// ``AlibabaCredentialRefreshPolicy``), so a metadata service hiccup never fails a cloud call.
///
/// ```swift
/// let provider = AlibabaCredentialProvider(source: .ecsRAMRole())
/// let credentials = try await provider.credentials()
/// ```
public actor AlibabaCredentialProvider {
    private enum Fetcher: Sendable {
        case fixed(AlibabaCredentials)
        case metadata(AlibabaECSMetadataFetcher)
        case oidc(AlibabaOIDCFetcher)
    }

    private struct Cached {
        var credentials: AlibabaCredentials
        var fetchedAt: Date
    }

    public nonisolated let source: AlibabaCredentialSource
    public nonisolated let refreshPolicy: AlibabaCredentialRefreshPolicy
    /// The clock expirations are read on and requests signed by these credentials are stamped with.
    public nonisolated let clock: WallClock
    private nonisolated let fetcher: Fetcher
    private let logger: Logger
    private var cached: Cached?
    private var refreshing: Task<AlibabaCredentials, any Error>?
    private var nextAttempt: Date?
    private var fetches = 0

    /// - Parameters:
    ///   - source: where the credentials come from.
    ///   - httpClient: the client for the metadata service and STS.
    ///   - refreshPolicy: when temporary credentials are fetched again.
    ///   - clock: the time expirations are measured against (the system's by default).
    ///   - logger: where refreshes and their failures are logged (never a secret).
    public init(
        source: AlibabaCredentialSource, httpClient: HTTPClient = .shared, refreshPolicy: AlibabaCredentialRefreshPolicy = .init(),
        clock: WallClock = .system, logger: Logger = Logger(label: "eip-broker.alibaba.credentials")
    ) {
        self.source = source
        self.refreshPolicy = refreshPolicy
        self.clock = clock
        self.logger = logger
        let transport = AlibabaHTTPTransport(httpClient: httpClient)
        switch source {
        case .accessKey(let id, let secret):
            fetcher = .fixed(AlibabaCredentials(accessKeyID: id, accessKeySecret: secret))
        case .stsToken(let id, let secret, let token):
            fetcher = .fixed(AlibabaCredentials(accessKeyID: id, accessKeySecret: secret, securityToken: token))
        case .ecsRAMRole(let roleName, let endpoint, let useIMDSToken):
            fetcher = .metadata(
                AlibabaECSMetadataFetcher(
                    transport: transport, endpoint: endpoint, roleName: roleName.flatMap { $0.isEmpty ? nil : $0 },
                    useIMDSToken: useIMDSToken,
                    timeout: refreshPolicy.requestTimeout
                )
            )
        case .oidcRole(let roleARN, let providerARN, let tokenFile, let sessionName, let duration, let stsEndpoint):
            fetcher = .oidc(
                AlibabaOIDCFetcher(
                    transport: transport, roleARN: roleARN, providerARN: providerARN, tokenFile: tokenFile, sessionName: sessionName,
                    duration: duration, stsEndpoint: stsEndpoint, timeout: refreshPolicy.requestTimeout, clock: clock
                )
            )
        }
    }

    /// Credentials to sign the next call with: the held ones while they are not due for a
    /// refresh; otherwise new ones, or, when fetching them fails, the held ones while they last.
    /// - Throws: ``AlibabaCredentialError`` when none could be fetched and none usable are held.
    public func credentials() async throws -> AlibabaCredentials {
        if case .fixed(let credentials) = fetcher { return credentials }
        let now = clock.now()
        if let cached {
            let usable = refreshPolicy.isUsable(cached.credentials, now: now)
            let due = refreshPolicy.isDue(cached.credentials, fetchedAt: cached.fetchedAt, now: now)
            if usable && !due { return cached.credentials }
            if usable, refreshing == nil, let nextAttempt, now < nextAttempt { return cached.credentials }
        }
        let refresh = refreshing ?? startRefresh()
        do {
            return try await refresh.value
        } catch {
            if let cached, refreshPolicy.isUsable(cached.credentials, now: clock.now()) {
                logger.warning(
                    "refreshing Alibaba credentials failed; using the current ones until they expire",
                    metadata: [
                        "error": "\(error)", "expiration": "\(cached.credentials.expiration.map(AlibabaTimestamp.format) ?? "-")",
                    ]
                )
                return cached.credentials
            }
            throw error
        }
    }

    /// Forgets the credentials in hand, so the next call fetches new ones (after the cloud
    /// said they are expired or invalid).
    public func invalidate() {
        cached = nil
        nextAttempt = nil
    }

    /// How many times credentials were fetched (for tests and metrics).
    public var fetchCount: Int { fetches }

    private func startRefresh() -> Task<AlibabaCredentials, any Error> {
        let fetcher = fetcher
        let task = Task<AlibabaCredentials, any Error> {
            defer { refreshing = nil }
            do {
                let credentials: AlibabaCredentials
                switch fetcher {
                case .fixed(let fixed): credentials = fixed
                case .metadata(let metadata): credentials = try await metadata.fetch()
                case .oidc(let oidc): credentials = try await oidc.fetch()
                }
                fetches += 1
                let now = clock.now()
                if let held = cached, held.credentials.accessKeyID == credentials.accessKeyID {
                    // The service has not rotated them yet: keep their lifetime as first seen, and
                    // ask again after a pause rather than on every call.
                    cached = Cached(credentials: credentials, fetchedAt: held.fetchedAt)
                    let stillDue = refreshPolicy.isDue(credentials, fetchedAt: held.fetchedAt, now: now)
                    nextAttempt = stillDue ? now.addingTimeInterval(refreshPolicy.retryAfterFailure.timeInterval) : nil
                    return credentials
                }
                cached = Cached(credentials: credentials, fetchedAt: now)
                nextAttempt = nil
                logger.debug(
                    "fetched Alibaba credentials",
                    metadata: [
                        "source": "\(source)", "accessKeyID": "\(credentials.maskedAccessKeyID)",
                        "expiration": "\(credentials.expiration.map(AlibabaTimestamp.format) ?? "-")",
                    ]
                )
                return credentials
            } catch {
                nextAttempt = clock.now().addingTimeInterval(refreshPolicy.retryAfterFailure.timeInterval)
                throw error
            }
        }
        refreshing = task
        return task
    }
}
