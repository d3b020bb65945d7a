import EIPCore
import Hummingbird
import NIOCore

/// Reads request bodies up to a limit, so an oversized body is refused with 413 before any
/// handler runs, and later middleware can read the buffered body again.
///
/// An empty body on `POST`, `PUT` or `PATCH` reads as the empty JSON object `{}`: optional
/// bodies (`release`) may be left out, and a missing required body is reported field by field.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumSize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumSize {
            throw BrokerError(.payloadTooLarge, "request body of \(length) bytes exceeds the limit of \(maximumSize) bytes")
        }
        do {
            let buffer = try await request.collectBody(upTo: maximumSize)
            if buffer.readableBytes == 0, [.post, .put, .patch].contains(request.method) {
                var head = request.head
                head.headerFields[.contentType] = "application/json"
                request = Request(head: head, body: .init(buffer: ByteBuffer(string: "{}")))
            } else {
                request.body = .init(buffer: buffer)
            }
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw BrokerError(.payloadTooLarge, "request body exceeds the limit of \(maximumSize) bytes")
        }
        return try await next(request, context)
    }
}
