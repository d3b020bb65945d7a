/// The answer of actions that return nothing but their request id.
public struct AlibabaAcknowledgement: Decodable, Sendable, Hashable {
    public var requestID: String?

    public init(requestID: String?) {
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "RequestId"
    }

    public init(from decoder: any Decoder) throws {
        requestID = try decoder.container(keyedBy: CodingKeys.self).lenientString(.requestID)
    }
}
