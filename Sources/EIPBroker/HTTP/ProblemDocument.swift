import EIPCore
import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem document, the body of every error answer.
struct ProblemDocument: Codable, Sendable {
    struct FieldError: Codable, Sendable {
        var field: String
        var rule: String
    }

    var type: String?
    var title: String
    var status: Int
    var detail: String?
    var code: String
    var errors: [FieldError]?

    init(_ error: BrokerError) {
        status = error.code.httpStatus
        title = Self.title(of: status)
        detail = error.message
        code = error.code.rawValue
        errors = error.fieldViolations.isEmpty ? nil : error.fieldViolations.map { FieldError(field: $0.field, rule: $0.rule) }
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
        let body = (try? encoder.encode(ProblemDocument(error))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: .init(code: error.code.httpStatus), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
