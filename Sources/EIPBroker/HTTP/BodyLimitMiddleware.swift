import EIPCore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import OpenAPIRuntime

/// Reads request bodies up to a limit, so an oversized body (in any framing: Content-Length,
/// chunked, HTTP/2 DATA) is refused with 413 before any handler runs, and later middleware can
/// read the buffered body again. A client that goes away mid-body is a debug line.
///
/// An empty body on `POST` or `PUT` reads as the empty JSON object `{}`: optional bodies
/// (`release`) may be left out, and a missing required body is reported field by field.
///
/// It also refuses a request target whose path or query holds a control character (no name or id
/// has one, and PostgreSQL cannot even compare text holding NUL) and a body holding `null`, and,
/// holding the body, names the field of a number the generated decoding refuses without saying where.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumSize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        if let field = Self.fieldWithControlCharacters(in: request.uri) {
            throw BrokerError.invalid(field, "must not contain control characters")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumSize {
            throw BrokerError(.payloadTooLarge, "request body of \(length) bytes exceeds the limit of \(maximumSize) bytes")
        }
        var body = ByteBuffer()
        do {
            let buffer = try await request.collectBody(upTo: maximumSize)
            body = buffer
            if buffer.readableBytes == 0, [.post, .put].contains(request.method) {
                var head = request.head
                head.headerFields[.contentType] = "application/json"
                request = Request(head: head, body: .init(buffer: ByteBuffer(string: "{}")))
            } else {
                request.body = .init(buffer: buffer)
            }
        } catch let error where (error as? HTTPError)?.status == .contentTooLarge || error is NIOTooManyBytesError {
            // Over the limit by its Content-Length, or without one (chunked, HTTP/2 DATA frames).
            throw BrokerError(.payloadTooLarge, "request body exceeds the limit of \(maximumSize) bytes")
        } catch {
            // The client went away (or broke the framing) mid-body: nobody is left to answer.
            context.logger.debug("request body could not be read", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw BrokerError.invalid("body", "could not be read to its end")
        }
        // No request field is nullable: `null` is refused by name rather than read as absent.
        if body.readableBytesView.firstRange(of: Array("null".utf8)) != nil,
            let field = Self.firstValue(in: body, where: { $0 is NSNull })
        {
            throw BrokerError.invalid(field, "must not be null (leave the field out instead)")
        }
        do {
            return try await next(request, context)
        } catch let error as ServerError where error.operationInput == nil {
            // Foundation reports a number that fits no integer (`2.5`, `1e30`) as invalid JSON,
            // without its path. Every number in the API is an integer, so find it.
            if case .dataCorrupted(let corrupted)? = error.underlyingError as? DecodingError, corrupted.codingPath.isEmpty,
                let field = Self.firstValue(in: body, where: { $0 is NSNumber && ($0 as? Int) == nil })
            {
                throw BrokerError.invalid(field, "must be an integer")
            }
            throw error
        }
    }

    /// The query parameter, or `path`, whose decoded text holds a control character.
    static func fieldWithControlCharacters(in uri: URI) -> String? {
        func hasControl(_ text: some StringProtocol) -> Bool { text.unicodeScalars.contains { $0.properties.generalCategory == .control } }
        if hasControl(uri.path.removingPercentEncoding ?? uri.path) { return "path" }
        for (name, value) in uri.queryParameters where hasControl(name) || hasControl(value) { return String(name) }
        return nil
    }

    /// The JSON path (`bandwidth`, `warm.min`, `body` for the whole document) of the first value
    /// in `body` that `matches`, when `body` is a JSON document.
    static func firstValue(in body: ByteBuffer, where matches: (Any) -> Bool) -> String? {
        guard let document = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed]) else {
            return nil
        }
        func find(_ value: Any, at path: String) -> String? {
            switch value {
            case let object as [String: Any]:
                for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                    if let found = find(member, at: path.isEmpty ? key : "\(path).\(key)") { return found }
                }
            case let array as [Any]:
                for (index, element) in array.enumerated() {
                    if let found = find(element, at: "\(path)[\(index)]") { return found }
                }
            default:
                if matches(value) { return path.isEmpty ? "body" : path }
            }
            return nil
        }
        return find(document, at: "")
    }
}
