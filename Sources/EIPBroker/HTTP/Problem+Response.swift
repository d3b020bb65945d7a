import EIPAPI
import EIPCore
import Foundation
import HTTPTypes
import Hummingbird

/// The RFC 9457 problem document of `api/openapi.yaml` (`Problem`), the body of every error
/// answer, made from the broker's error.
extension Components.Schemas.Problem {
    init(_ error: BrokerError) {
        let status = error.code.httpStatus
        self.init(
            title: Self.title(of: status), status: status, detail: error.message,
            code: CodePayload(rawValue: error.code.rawValue) ?? ._internal,
            errors: error.fieldViolations.isEmpty
                ? nil : error.fieldViolations.map { Components.Schemas.FieldError(field: $0.field, rule: $0.rule) }
        )
    }

    /// The standard reason phrase of the statuses the broker answers with.
    static func title(of status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: "Internal Server Error"
        }
    }

    /// The error as an HTTP response with `application/problem+json` and `Retry-After`.
    static func response(for error: BrokerError) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(Self(error))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: .init(code: error.code.httpStatus), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
