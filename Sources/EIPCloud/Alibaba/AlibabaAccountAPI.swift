public import Logging

/// The OpenAPI of one Alibaba account as the typed clients use it: each call goes to the right
/// endpoint for its product and region, waits for its turn (``AlibabaRateLimiter``), is signed
/// with the account's credentials (``AlibabaRPCClient``) and retried on transient failures
/// (``AlibabaRetryPolicy``).
public struct AlibabaAccountAPI: Sendable {
    /// The account's name in the broker's configuration; one of the rate limiter's keys.
    public let account: String
    public let rpc: AlibabaRPCClient
    public let endpoints: AlibabaEndpoints
    public let rateLimiter: AlibabaRateLimiter
    public let retryPolicy: AlibabaRetryPolicy
    public let logger: Logger

    public init(
        account: String, rpc: AlibabaRPCClient, endpoints: AlibabaEndpoints = AlibabaEndpoints(),
        rateLimiter: AlibabaRateLimiter = AlibabaRateLimiter(), retryPolicy: AlibabaRetryPolicy = AlibabaRetryPolicy(),
        logger: Logger = Logger(label: "eip-broker.alibaba")
    ) {
        self.account = account
        self.rpc = rpc
        self.endpoints = endpoints
        self.rateLimiter = rateLimiter
        self.retryPolicy = retryPolicy
        self.logger = logger
    }

    /// Calls `action` of `product` in `region` (sent as `RegionId` too) and decodes the answer.
    /// - Parameter eipOperation: retry the EIP "settling" codes (`IncorrectEipStatus`, ...) too.
    /// - Throws: the last attempt's error: ``AlibabaAPIError``, ``AlibabaCredentialError``, a
    ///   transport error, or `CloudError` (`Throttling.Local`) from the rate limiter.
    public func call<Response: Decodable & Sendable>(
        _ product: AlibabaProduct, region: String, action: String, parameters: AlibabaRPCParameters, eipOperation: Bool = false,
        as type: Response.Type
    ) async throws -> Response {
        guard Self.isValidRegion(region) else {
            throw CloudError(.rejected, code: "InvalidRegionId.Malformed", message: "The region '\(region)' is not a valid region id.")
        }
        var parameters = parameters
        parameters["RegionId"] = region
        let request = AlibabaRPCRequest(
            endpoint: endpoints.url(for: product, region: region), version: product.version, action: action, parameters: parameters
        )
        var logger = logger
        logger[metadataKey: "account"] = "\(account)"
        logger[metadataKey: "region"] = "\(region)"
        return try await retryPolicy.run(action: action, eipOperation: eipOperation, logger: logger) { [logger] _ in
            try await rateLimiter.acquire(account: account, region: region, action: action)
            do {
                return try await rpc.call(request, as: type, logger: logger)
            } catch let error as AlibabaAPIError where Self.credentialsRejected(error) && rpc.credentials.source.isRefreshable {
                // Temporary credentials revoked or expired early: fetch new ones and try once more.
                logger.warning("Alibaba refused the credentials; fetching new ones", metadata: ["code": "\(error.code)"])
                await rpc.credentials.invalidate()
                return try await rpc.call(request, as: type, logger: logger)
            }
        }
    }

    /// Region ids are lowercase letters, digits and `-` (they become part of a host name).
    static func isValidRegion(_ region: String) -> Bool {
        !region.isEmpty && region.count <= 64
            && region.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || $0 == UInt8(ascii: "-")
            }
    }

    private static func credentialsRejected(_ error: AlibabaAPIError) -> Bool {
        error.code.hasPrefix("InvalidSecurityToken") || error.code == "InvalidAccessKeyId.NotFound"
    }
}
