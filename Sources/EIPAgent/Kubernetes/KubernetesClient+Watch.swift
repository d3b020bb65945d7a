import AsyncHTTPClient

extension KubernetesClient {
    /// Starts a watch of objects of `type` in `namespace` (or every namespace) and returns its
    /// events once the server has accepted it.
    ///
    /// - Throws: ``KubernetesAPIError`` when the server refuses the watch; with
    ///   ``KubernetesAPIError/Code/gone`` (`410`) when `options.resourceVersion` is too old.
    public func watch<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String? = nil, options: WatchOptions = WatchOptions()
    ) async throws -> WatchEventStream<Object> {
        var query: [(String, String)] = [("watch", "1")]
        if let labelSelector = options.labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector = options.fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion = options.resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if options.allowWatchBookmarks { query.append(("allowWatchBookmarks", "true")) }
        let timeout = options.timeoutSeconds ?? Int.random(in: self.options.watchTimeoutSeconds)
        query.append(("timeoutSeconds", String(timeout)))
        let response = try await openStream(Object.resource.path(namespace: namespace), query: query)
        return WatchEventStream(body: response.body, maximumEventBytes: self.options.maximumWatchEventBytes)
    }
}
