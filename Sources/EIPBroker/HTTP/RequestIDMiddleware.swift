import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id: the caller's `X-Request-Id` when it is a plausible one (1-128
/// letters, digits, `.`, `_`, `:` or `-`), otherwise the one Hummingbird made. The id is in every
/// log line of the request's work (`hb.request.id`) and in the answer's `X-Request-Id`, errors
/// included, so a caller can quote it.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = BrokerRequestContext
    static var headerName: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let given = request.headers[Self.headerName], Self.isPlausible(given) {
            context.requestID = given
            context.logger[metadataKey: "hb.request.id"] = .string(given)
        }
        var response = try await next(request, context)
        response.headers[Self.headerName] = context.requestID
        return response
    }

    static func isPlausible(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }
}
