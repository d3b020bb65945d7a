import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime

/// Where the generated handlers are registered: the operations under `/v1` on the `/v1` route
/// group, whose middleware (token, body limit) runs for them alone, and the others (`/healthz`,
/// `/readyz`, `/metrics`) on the router itself, open to anyone.
struct APIRoutes: ServerTransport {
    let router: Router<BrokerRequestContext>
    let v1: RouterGroup<BrokerRequestContext>
    static let v1Prefix = "/v1/"

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        if path.hasPrefix(Self.v1Prefix) {
            v1.register(handler, method: method, path: String(path.dropFirst(Self.v1Prefix.count)))
        } else {
            router.register(handler, method: method, path: path)
        }
    }
}
