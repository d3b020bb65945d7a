import HTTPTypes
import Hummingbird

/// One HTTP request to the emulated OpenAPI, read in full: the method, the decoded query and
/// form body, the raw body (for `x-acs-content-sha256`), and the headers by lowercased name
/// (`host` included, which HTTP/1.1 carries in the request's authority).
struct RPCRequest: Sendable {
    /// The largest body the emulator reads.
    static let maximumBodySize = 1 << 20

    var method: String
    var path: String
    var query: [String: String]
    var form: [String: String]
    var body: [UInt8]
    var headers: [String: String]

    /// Every RPC parameter: the query's, then the form body's (which win on a clash).
    var parameters: [String: String] { query.merging(form) { $1 } }

    init(method: String, path: String, query: [String: String], form: [String: String], body: [UInt8], headers: [String: String]) {
        self.method = method
        self.path = path
        self.query = query
        self.form = form
        self.body = body
        self.headers = headers
    }

    init(_ request: Request) async throws {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maximumBodySize)
        } catch {
            throw EmulatorAPIError(.contentTooLarge, "InvalidParameter", "The request body is larger than \(Self.maximumBodySize) bytes.")
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + "," + field.value } ?? field.value
        }
        if let authority = request.head.authority { headers["host"] = authority }
        let body = Array(buffer.readableBytesView)
        let isForm = headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
        self.init(
            method: request.method.rawValue,
            path: request.uri.path,
            query: FormEncoding.dictionary(Substring(request.uri.query ?? "")),
            form: isForm ? FormEncoding.dictionary(Substring(decoding: body, as: UTF8.self)) : [:],
            body: body,
            headers: headers
        )
    }
}
