import EIPCloud
import HTTPTypes

/// An error answer of the emulated OpenAPI: an HTTP status and Alibaba's JSON error body
/// `{RequestId, HostId, Code, Message, Recommend}`. Thrown anywhere in request handling and
/// turned into a response at one place, ``RPCResponder``.
struct EmulatorAPIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    /// Sent as `x-acs-retry-after` (milliseconds) and `Retry-After` (whole seconds, rounded up).
    var retryAfterMilliseconds: Int64?

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfterMilliseconds: Int64? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    /// The simulated cloud's error as Alibaba answers it: throttling 400, not found 404,
    /// internal errors 500, other unavailability 503, everything else 400.
    init(_ error: CloudError) {
        let status: HTTPResponse.Status =
            if error.code.hasPrefix("Throttling") {
                .badRequest
            } else if error.kind == .notFound {
                .notFound
            } else if error.kind == .unavailable {
                error.code == "InternalError" ? .internalServerError : .serviceUnavailable
            } else {
                .badRequest
            }
        self.init(status, error.code, error.message, retryAfterMilliseconds: error.retryAfterMilliseconds)
    }

    static func missingParameter(_ name: String) -> EmulatorAPIError {
        EmulatorAPIError(
            .badRequest, "MissingParameter",
            "The input parameter \"\(name)\" that is mandatory for processing this request is not supplied."
        )
    }

    static func invalidParameter(_ name: String, _ reason: String) -> EmulatorAPIError {
        EmulatorAPIError(.badRequest, "InvalidParameter", "The parameter \"\(name)\" is invalid: \(reason)")
    }

    static let signatureDoesNotMatch = EmulatorAPIError(
        .badRequest, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
    )

    static let serviceUnavailable = EmulatorAPIError(
        .serviceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
    )

    static func throttled(retryAfterMilliseconds: Int64) -> EmulatorAPIError {
        EmulatorAPIError(
            .badRequest, "Throttling.User", "Request was denied due to user flow control.", retryAfterMilliseconds: retryAfterMilliseconds
        )
    }

    /// The JSON error body.
    func body(requestID: String, hostID: String) -> JSONValue {
        [
            "RequestId": .string(requestID),
            "HostId": .string(hostID),
            "Code": .string(code),
            "Message": .string(message),
            "Recommend": .string("https://api.aliyun.com/troubleshoot?q=\(code)&product=\(hostID)&requestId=\(requestID)"),
        ]
    }
}
