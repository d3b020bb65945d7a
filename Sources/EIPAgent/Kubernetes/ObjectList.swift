/// One page of a list answer: the objects and the list's metadata.
public struct ObjectList<Object: KubernetesObject>: Sendable, Decodable {
    public var metadata: ListMeta
    public var items: [Object]

    public init(metadata: ListMeta, items: [Object]) {
        self.metadata = metadata
        self.items = items
    }

    enum CodingKeys: String, CodingKey { case metadata, items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try c.decodeIfPresent([Object].self, forKey: .items) ?? []
    }
}

/// A list's metadata (`metav1.ListMeta`): the snapshot's resource version, from which a watch
/// continues, and the token of the next page.
public struct ListMeta: Sendable, Hashable, Codable {
    public var resourceVersion: String?
    /// The `continue` token of the next page; `nil` or empty on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continueToken: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
        self.remainingItemCount = remainingItemCount
    }

    enum CodingKeys: String, CodingKey {
        case resourceVersion
        case continueToken = "continue"
        case remainingItemCount
    }
}
