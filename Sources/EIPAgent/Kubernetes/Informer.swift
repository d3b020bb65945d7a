public import EIPCore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Keeps a local cache of the objects of one resource (pods of the cluster, or of one node with a
/// field selector) up to date with list-then-watch, and delivers every change as an
/// ``InformerEvent``.
///
/// - It lists (page by page) and watches from the list's resource version, with bookmarks.
/// - A stream that ends or breaks (even mid-event) is watched again from the last resource
///   version seen (event or bookmark): nothing is missed, nothing repeated.
/// - `410 Gone` (as an HTTP answer or an `ERROR` event) means that version is too old: it lists
///   again and compares with the cache, so objects that vanished meanwhile are delivered as
///   ``InformerEvent/deleted(_:)`` and new ones as ``InformerEvent/added(_:)``.
/// - Errors are retried with bounded exponential backoff; the informer never gives up.
///
/// ```swift
/// let pods = Informer<Pod>(client: client, fieldSelector: "spec.nodeName=node-1", logger: logger)
/// group.addTask { try await pods.run() }
/// for await event in pods.events {
///     switch event { case .added(let pod): ...; case .updated(_, let pod): ...; case .deleted(let pod): ...; case .synced: ... }
/// }
/// ```
///
/// ``events`` has one consumer and buffers without bound, so a slow consumer never stalls the
/// watch. It finishes when ``run()`` returns. There is no periodic resync here: a controller
/// that wants one reads ``objects`` on its own schedule.
public final class Informer<Object: KubernetesObject>: Service, Sendable {
    /// The changes, in order. Iterate once.
    public let events: AsyncStream<InformerEvent<Object>>

    private let continuation: AsyncStream<InformerEvent<Object>>.Continuation
    private let client: KubernetesClient
    private let namespace: String?
    private let labelSelector: String?
    private let fieldSelector: String?
    private let pageSize: Int
    private let backoff: RetryBackoff
    private let clock: ElapsedClock
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var cache: [ObjectKey: Object] = [:]
        var resourceVersion: String?
        var hasSynced = false
    }

    /// - Parameters:
    ///   - namespace: One namespace, or `nil` for all.
    ///   - labelSelector: Only objects with these labels, such as `app=web`.
    ///   - fieldSelector: Only objects with these fields, such as `spec.nodeName=node-1`.
    ///   - pageSize: Objects per list page.
    ///   - backoff: Waits between failed attempts.
    ///   - clock: What the waits are slept on.
    public init(
        client: KubernetesClient, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        pageSize: Int = 500, backoff: RetryBackoff = RetryBackoff(initial: .milliseconds(800), maximum: .seconds(30)),
        clock: ElapsedClock = .continuous, logger: Logger
    ) {
        (events, continuation) = AsyncStream.makeStream(of: InformerEvent<Object>.self, bufferingPolicy: .unbounded)
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.backoff = backoff
        self.clock = clock
        var logger = logger
        logger[metadataKey: "resource"] = "\(Object.resource.plural)"
        self.logger = logger
    }

    /// The cached object of `key`, if there is one.
    public func object(_ key: ObjectKey) -> Object? {
        state.withLock { $0.cache[key] }
    }

    /// Every cached object, sorted by key.
    public var objects: [Object] {
        state.withLock { $0.cache.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// Whether a complete list has been cached (see ``InformerEvent/synced``).
    public var hasSynced: Bool { state.withLock { $0.hasSynced } }

    /// The resource version the cache is at: where the next watch starts.
    public var resourceVersion: String? { state.withLock { $0.resourceVersion } }

    /// Lists and watches until cancelled or graceful shutdown, then finishes ``events``. Run once.
    public func run() async throws {
        defer { continuation.finish() }
        await cancelWhenGracefulShutdown { await self.listAndWatch() }
    }

    private func listAndWatch() async {
        var backoff = self.backoff
        var resourceVersion: String?
        while !Task.isCancelled {
            var listedNow = false
            do {
                if resourceVersion == nil {
                    let list = try await client.listAll(
                        Object.self, namespace: namespace,
                        options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize)
                    )
                    resourceVersion = list.metadata.resourceVersion ?? ""
                    listedNow = true
                    replace(with: list.items, resourceVersion: resourceVersion)
                    logger.debug("listed", metadata: ["count": "\(list.items.count)", "resourceVersion": "\(resourceVersion ?? "")"])
                }
                let stream = try await client.watch(
                    Object.self, namespace: namespace,
                    options: WatchOptions(
                        labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: resourceVersion,
                        allowWatchBookmarks: true
                    )
                )
                var delivered = 0
                do {
                    for try await event in stream {
                        delivered += 1
                        resourceVersion = apply(event) ?? resourceVersion
                    }
                } catch {
                    if delivered > 0 { backoff.reset() }
                    throw error
                }
                // The server closed the stream (its timeout): watch again from where it ended.
                logger.trace("watch ended", metadata: ["resourceVersion": "\(resourceVersion ?? "")", "events": "\(delivered)"])
                if delivered > 0 || listedNow {
                    backoff.reset()
                } else {
                    try await clock.sleep(backoff.next())
                }
            } catch let error as KubernetesAPIError where error.code == .gone {
                logger.info("resource version expired; listing again", metadata: ["resourceVersion": "\(resourceVersion ?? "")"])
                resourceVersion = nil
                if listedNow {
                    // Even the fresh list's version is gone: do not spin.
                    guard (try? await clock.sleep(backoff.next())) != nil else { break }
                }
            } catch {
                if Task.isCancelled { break }
                let delay = backoff.next()
                logger.warning(
                    "list or watch failed; retrying",
                    metadata: ["error": "\(error)", "retryIn": "\(delay)", "resourceVersion": "\(resourceVersion ?? "")"]
                )
                guard (try? await clock.sleep(delay)) != nil else { break }
            }
        }
    }

    /// Applies one watch event to the cache, delivers the change, and returns the resource
    /// version to resume from. A pod replaced under the same name (another uid) is delivered as
    /// the old one's deletion and the new one's addition.
    private func apply(_ event: WatchEvent<Object>) -> String? {
        let changes: [InformerEvent<Object>] = state.withLock { state in
            if let version = event.resourceVersion { state.resourceVersion = version }
            switch event {
            case .added(let object), .modified(let object):
                return Self.changes(from: state.cache.updateValue(object, forKey: object.key), to: object)
            case .deleted(let object):
                return state.cache.removeValue(forKey: object.key) == nil ? [] : [.deleted(object)]
            case .bookmark:
                return []
            }
        }
        for change in changes { continuation.yield(change) }
        return event.resourceVersion
    }

    private static func changes(from old: Object?, to new: Object) -> [InformerEvent<Object>] {
        guard let old else { return [.added(new)] }
        if old.metadata.uid != new.metadata.uid { return [.deleted(old), .added(new)] }
        return old.metadata.resourceVersion == new.metadata.resourceVersion ? [] : [.updated(old: old, new: new)]
    }

    /// Replaces the cache with a fresh list, delivering the differences, then ``InformerEvent/synced``.
    private func replace(with items: [Object], resourceVersion: String?) {
        let changes: [InformerEvent<Object>] = state.withLock { state in
            var fresh: [ObjectKey: Object] = [:]
            var changes: [InformerEvent<Object>] = []
            for object in items {
                let key = object.key
                fresh[key] = object
                changes += Self.changes(from: state.cache[key], to: object)
            }
            for (key, old) in state.cache.sorted(by: { $0.key < $1.key }) where fresh[key] == nil {
                changes.append(.deleted(old))
            }
            state.cache = fresh
            state.resourceVersion = resourceVersion
            state.hasSynced = true
            return changes
        }
        for change in changes { continuation.yield(change) }
        continuation.yield(.synced)
    }
}
