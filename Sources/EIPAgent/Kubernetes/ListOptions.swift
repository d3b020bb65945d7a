/// The query of a list request.
///
/// ```swift
/// ListOptions(fieldSelector: "spec.nodeName=node-1", limit: 500)
/// ```
public struct ListOptions: Sendable, Hashable {
    /// Label selector, such as `app=web,tier!=cache`.
    public var labelSelector: String?
    /// Field selector, such as `spec.nodeName=node-1`.
    public var fieldSelector: String?
    /// `nil` for a consistent (quorum) read; `"0"` for any cached version.
    public var resourceVersion: String?
    /// Page size; `nil` for everything in one answer.
    public var limit: Int?
    /// The `continue` token of the page to fetch.
    public var continueToken: String?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil, limit: Int? = nil,
        continueToken: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.limit = limit
        self.continueToken = continueToken
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        return items
    }
}

/// The query of a watch request.
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Events after this version are sent. `nil` (or `"0"`) first sends the current objects as
    /// `ADDED` events.
    public var resourceVersion: String?
    /// Ask for `BOOKMARK` events, which carry a newer resource version to resume from.
    public var allowWatchBookmarks: Bool
    /// How long the server keeps the stream open; `nil` picks a random time in the client's
    /// ``KubernetesClientOptions/watchTimeout`` range, so watches of many agents spread out.
    public var timeoutSeconds: Int?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
        allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }
}
