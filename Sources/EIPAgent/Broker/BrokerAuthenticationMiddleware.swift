internal import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Adds `Authorization: Bearer <token>` to every broker request, with the token of a
/// ``BrokerTokenSource`` read per request (so a rotated token file is picked up).
struct BrokerAuthenticationMiddleware: ClientMiddleware {
    let tokens: BrokerTokenSource

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer " + (try tokens.token())
        return try await next(request, body, baseURL)
    }
}
