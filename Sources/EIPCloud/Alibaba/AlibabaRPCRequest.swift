public import Foundation

/// One RPC-style call: which product endpoint, API version and action, with what parameters.
public struct AlibabaRPCRequest: Sendable, Hashable {
    /// The product's endpoint (`https://vpc.aliyuncs.com`).
    public var endpoint: URL
    /// The API version (`2016-04-28`).
    public var version: String
    /// The action (`AllocateEipAddress`).
    public var action: String
    /// The action's parameters, `RegionId` included.
    public var parameters: AlibabaRPCParameters

    public init(endpoint: URL, version: String, action: String, parameters: AlibabaRPCParameters) {
        self.endpoint = endpoint
        self.version = version
        self.action = action
        self.parameters = parameters
    }
}

/// A successful answer: the JSON body and the request id.
public struct AlibabaRPCResponse: Sendable, Hashable {
    public var httpStatus: Int
    public var requestID: String?
    /// The raw JSON body.
    public var body: [UInt8]

    public init(httpStatus: Int, requestID: String?, body: [UInt8]) {
        self.httpStatus = httpStatus
        self.requestID = requestID
        self.body = body
    }

    /// Decodes the body as `type`.
    public func decode<Response: Decodable>(_ type: Response.Type) throws -> Response {
        try JSONDecoder().decode(type, from: Data(body))
    }
}
