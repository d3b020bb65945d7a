import AsyncHTTPClient
import EIPCore
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange with a fully read, size-capped body: what the RPC client, the metadata
/// service and STS all need.
struct AlibabaHTTPTransport: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]

        var isSuccess: Bool { (200..<300).contains(status) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let httpClient: HTTPClient

    /// Sends `method url` with `headers` and `body`, and reads the answer (at most
    /// `maximumBytes`) before `timeout` ends.
    func send(
        _ method: HTTPMethod, _ url: URL, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration, maximumBytes: Int = 4 << 20
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        for (name, value) in headers {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let body {
            request.body = .bytes(body)
        }
        let deadline = NIODeadline.now() + .nanoseconds(timeout.wholeNanoseconds)
        let response = try await httpClient.execute(request, deadline: deadline)
        let buffer = try await response.body.collect(upTo: maximumBytes)
        return Response(status: Int(response.status.code), headers: response.headers, body: Array(buffer: buffer))
    }

    /// The `Host` header a request to `url` carries: the host, and the port when it is not the
    /// scheme's default. V3 signs it, so it has to be exactly what the server sees.
    static func hostHeader(for url: URL) -> String {
        let host = url.host ?? ""
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let port = url.port else { return bracketed }
        let defaultPort = url.scheme?.lowercased() == "https" ? 443 : 80
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }
}
