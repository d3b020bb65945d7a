/// Alibaba Cloud's answer to a call it refused: a non-2xx status or a body with a `Code`.
///
/// The message is the cloud's, with any secret of the credentials used scrubbed out (some
/// signature errors quote the string the server signed, which holds the security token).
public struct AlibabaAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The cloud's error code: `Throttling.User`, `InvalidAllocationId.NotFound`, ...
    public var code: String
    public var message: String
    public var requestID: String?
    public var httpStatus: Int
    /// The action that was refused.
    public var action: String
    /// The cloud's hint of when to retry (`x-acs-retry-after`, milliseconds).
    public var retryAfter: Duration?
    /// The cloud's troubleshooting link (`Recommend`), when it sent one.
    public var recommend: String?

    public init(
        code: String, message: String, requestID: String? = nil, httpStatus: Int, action: String, retryAfter: Duration? = nil,
        recommend: String? = nil
    ) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.httpStatus = httpStatus
        self.action = action
        self.retryAfter = retryAfter
        self.recommend = recommend
    }

    public var description: String {
        "\(action) failed: \(code): \(message) [HTTP \(httpStatus)]" + (requestID.map { " (RequestId \($0))" } ?? "")
    }
}
