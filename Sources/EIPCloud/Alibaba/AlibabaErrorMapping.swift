import AsyncHTTPClient
import EIPCore

/// Turns whatever an Alibaba call threw into the broker's ``CloudError``, keeping the cloud's
/// code, message and request id.
///
/// | Alibaba | ``CloudError/Kind`` |
/// |---|---|
/// | `Throttling*` | `.throttled` |
/// | `IncorrectEipStatus`, `TaskConflict`, `OperationConflict`, `SystemBusy`, `LastTokenProcessing` | `.busy` |
/// | `*.NotFound` (`InvalidAllocationId.NotFound`, ...) | `.notFound` |
/// | `QuotaExceeded.Eip` | `.quotaExceeded` |
/// | HTTP 5xx, `ServiceUnavailable`, `InternalError`, `UnknownError`, transport failures, timeouts | `.unavailable` |
/// | anything else (`InvalidParameter`, `Forbidden.*`, signature errors) | `.rejected` |
enum AlibabaErrorMapping {
    static let busyCodes: Set<String> = AlibabaRetryPolicy.defaultEIPOperationCodes
    static let unavailableCodes: Set<String> = AlibabaRetryPolicy.defaultRetryableCodes
    static let quotaCodes: Set<String> = ["QuotaExceeded.Eip", "QuotaExceeded"]

    static func cloudError(_ error: any Error) -> CloudError {
        switch error {
        case let error as CloudError:
            return error
        case let error as AlibabaAPIError:
            return CloudError(
                kind(code: error.code, httpStatus: error.httpStatus), code: error.code, message: error.message,
                requestID: error.requestID, retryAfterMilliseconds: error.retryAfter?.wholeMilliseconds
            )
        case let error as AlibabaCredentialError:
            return CloudError(
                error.isTransient ? .unavailable : .rejected, code: "Credentials.\(error.code)", message: error.description
            )
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            return CloudError(.unavailable, code: "SDK.Timeout", message: "the call timed out: \(error)")
        default:
            return CloudError(.unavailable, code: "SDK.TransportError", message: "the call failed in transport: \(error)")
        }
    }

    static func kind(code: String, httpStatus: Int) -> CloudError.Kind {
        if code.hasPrefix("Throttling") { return .throttled }
        if busyCodes.contains(code) { return .busy }
        if code.hasSuffix(".NotFound") { return .notFound }
        if quotaCodes.contains(code) { return .quotaExceeded }
        if httpStatus >= 500 || unavailableCodes.contains(code) { return .unavailable }
        return .rejected
    }
}
