import EIPAgent
import Foundation

/// The fake API server's state: objects as JSON documents, one global resource version, the
/// change history watches replay from, and the open watches. All of it changes under one lock
/// (``FakeKubernetes/withStore(_:)``), so a test can make several changes no watch sees apart.
struct FakeKubernetesStore: Sendable {
    /// How the fake tells a client its resource version is too old.
    enum GoneDelivery: Sendable { case errorEvent, httpStatus }

    /// One committed change, as watches see it.
    struct Change: Sendable {
        var revision: Int64
        var resource: String
        var type: String
        var object: FakeJSON
        var previous: FakeJSON?
    }

    /// What a watch stream is told next.
    enum Frame: Sendable {
        case line(String)
        /// Break the connection, after sending these bytes of an event if given.
        case cut(partial: String?)
        /// End the stream normally, as the server's `timeoutSeconds` does.
        case end
    }

    /// One open watch.
    struct Watcher: Sendable {
        var resource: FakeResource
        var namespace: String?
        var labels: FakeSelector?
        var fields: FakeSelector?
        var bookmarks: Bool
        var continuation: AsyncStream<Frame>.Continuation
        var cutMidNextEvent = false

        func visible(_ object: FakeJSON?) -> Bool {
            guard let object else { return false }
            if let namespace, object.value(at: "metadata.namespace")?.string != namespace { return false }
            return (labels?.matches(object) ?? true) && (fields?.matches(object) ?? true)
        }

        /// The event line this watch gets for `change`, if any: selectors turn a change that
        /// moves an object in or out of view into `ADDED` or `DELETED`, as the API server does.
        func line(for change: Change) -> String? {
            guard change.resource == resource.plural else { return nil }
            let was = visible(change.previous)
            let type: String
            if change.type == "DELETED" {
                guard was else { return nil }
                type = "DELETED"
            } else {
                switch (was, visible(change.object)) {
                case (true, true): type = "MODIFIED"
                case (false, true): type = "ADDED"
                case (true, false): type = "DELETED"
                case (false, false): return nil
                }
            }
            return FakeKubernetesStore.eventLine(type, change.object)
        }
    }

    /// A request as the fake saw it.
    struct RequestRecord: Sendable {
        var method: String
        var path: String
        var query: [String: String]
        var authorization: String?
        var contentType: String?
    }

    private(set) var revision: Int64 = 100
    var objects: [String: [String: FakeJSON]] = [:]
    private(set) var history: [Change] = []
    /// Watches and continue tokens older than this answer 410.
    private(set) var compactedRevision: Int64 = 0
    var watchers: [UUID: Watcher] = [:]
    var goneDelivery: GoneDelivery = .errorEvent
    /// When set, every request must carry `Authorization: Bearer <this>`.
    var requiredToken: String?
    /// Write each watch event in two chunks, split mid-event.
    var splitEvents = true
    var requests: [RequestRecord] = []
    var stopped = false

    static func key(_ namespace: String?, _ name: String) -> String { "\(namespace ?? "")/\(name)" }

    static func eventLine(_ type: String, _ object: FakeJSON) -> String {
        "{\"type\":\"\(type)\",\"object\":\(object.text)}\n"
    }

    func object(_ resource: FakeResource, _ namespace: String?, _ name: String) -> FakeJSON? {
        objects[resource.plural]?[Self.key(namespace, name)]
    }

    // MARK: Committing changes

    /// Stores (or removes) `object` under a new resource version and tells the watches.
    @discardableResult
    mutating func commit(_ resource: FakeResource, _ type: String, key: String, object: FakeJSON, previous: FakeJSON?) -> FakeJSON {
        revision += 1
        var object = object
        object.set("metadata.resourceVersion", .string(String(revision)))
        if type == "DELETED" {
            objects[resource.plural]?[key] = nil
        } else {
            objects[resource.plural, default: [:]][key] = object
        }
        let change = Change(revision: revision, resource: resource.plural, type: type, object: object, previous: previous)
        history.append(change)
        for (id, watcher) in watchers {
            guard let line = watcher.line(for: change) else { continue }
            if watcher.cutMidNextEvent {
                watcher.continuation.yield(.cut(partial: String(line.prefix(line.count / 2))))
                watcher.continuation.finish()
                watchers[id] = nil
            } else {
                watcher.continuation.yield(.line(line))
            }
        }
        return object
    }

    // MARK: The API's writes

    mutating func create(_ resource: FakeResource, namespace: String?, body: FakeJSON, keepStatus: Bool = false) throws -> FakeJSON {
        guard case .object = body else { throw FakeStatusError(code: 400, reason: "BadRequest", message: "the body is not a JSON object") }
        var object = body
        var name = object.value(at: "metadata.name")?.string ?? ""
        if name.isEmpty, let prefix = object.value(at: "metadata.generateName")?.string {
            name = prefix + String(UUID().uuidString.lowercased().prefix(5))
        }
        guard !name.isEmpty else {
            throw FakeStatusError(
                code: 422, reason: "Invalid", message: "\(resource.kind) is invalid: metadata.name: Required value", resource: resource)
        }
        if let namespace {
            if let given = object.value(at: "metadata.namespace")?.string, !given.isEmpty, given != namespace {
                throw FakeStatusError(
                    code: 400, reason: "BadRequest",
                    message: "the namespace of the provided object does not match the namespace sent on the request"
                )
            }
            object.set("metadata.namespace", .string(namespace))
        }
        let key = Self.key(namespace, name)
        guard objects[resource.plural]?[key] == nil else {
            throw FakeStatusError(
                code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedName) \"\(name)\" already exists", name: name,
                resource: resource
            )
        }
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
        object.set("metadata.name", .string(name))
        object.set("metadata.uid", .string(UUID().uuidString.lowercased()))
        object.set("metadata.creationTimestamp", .string(KubernetesTime.string(Date())))
        object.set("metadata.generation", .int(1))
        object.set("metadata.deletionTimestamp", nil)
        if resource.hasStatusSubresource, !keepStatus { object["status"] = nil }
        return commit(resource, "ADDED", key: key, object: object, previous: nil)
    }

    mutating func update(_ resource: FakeResource, namespace: String?, name: String, body: FakeJSON, subresource: String?) throws
        -> FakeJSON
    {
        let key = Self.key(namespace, name)
        guard let old = objects[resource.plural]?[key] else { throw FakeStatusError.notFound(resource, name) }
        if let given = body.value(at: "metadata.name")?.string, given != name {
            throw FakeStatusError(
                code: 400, reason: "BadRequest", message: "the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        if let version = body.value(at: "metadata.resourceVersion")?.string, !version.isEmpty {
            guard version == old.value(at: "metadata.resourceVersion")?.string else { throw FakeStatusError.conflict(resource, name) }
        } else if resource.requiresResourceVersionOnUpdate {
            throw FakeStatusError(
                code: 422, reason: "Invalid",
                message:
                    "\(resource.kind).\(resource.group) \"\(name)\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
                name: name, resource: resource
            )
        }
        var new: FakeJSON
        if subresource == "status" {
            new = old
            new["status"] = body["status"]
        } else {
            new = body
            if resource.hasStatusSubresource { new["status"] = old["status"] }
        }
        return finishWrite(resource, key: key, old: old, new: new)
    }

    mutating func patch(
        _ resource: FakeResource, namespace: String?, name: String, contentType: String, body: FakeJSON, subresource: String?
    ) throws -> FakeJSON {
        let key = Self.key(namespace, name)
        guard let old = objects[resource.plural]?[key] else { throw FakeStatusError.notFound(resource, name) }
        let patched: FakeJSON
        switch contentType.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }) {
        case "application/merge-patch+json":
            patched = old.mergePatched(with: body)
        case "application/strategic-merge-patch+json" where resource.isBuiltIn:
            patched = old.strategicMergePatched(with: body)
        default:
            throw FakeStatusError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json"
                    + (resource.isBuiltIn ? ", application/strategic-merge-patch+json" : "")
            )
        }
        if let version = body.value(at: "metadata.resourceVersion")?.string,
            version != old.value(at: "metadata.resourceVersion")?.string
        {
            throw FakeStatusError.conflict(resource, name)
        }
        var new: FakeJSON
        if subresource == "status" {
            new = old
            new["status"] = patched["status"]
        } else {
            new = patched
            if resource.hasStatusSubresource { new["status"] = old["status"] }
        }
        return finishWrite(resource, key: key, old: old, new: new)
    }

    mutating func delete(_ resource: FakeResource, namespace: String?, name: String, options: FakeJSON?) throws -> FakeJSON {
        let key = Self.key(namespace, name)
        guard let old = objects[resource.plural]?[key] else { throw FakeStatusError.notFound(resource, name) }
        if let uid = options?.value(at: "preconditions.uid")?.string, uid != old.value(at: "metadata.uid")?.string {
            throw FakeStatusError(
                code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid)", name: name, resource: resource)
        }
        if let version = options?.value(at: "preconditions.resourceVersion")?.string,
            version != old.value(at: "metadata.resourceVersion")?.string
        {
            throw FakeStatusError(
                code: 409, reason: "Conflict", message: "Precondition failed: ResourceVersion in precondition: \(version)", name: name,
                resource: resource
            )
        }
        if resource == .pods, let grace = Self.gracePeriod(ofDeleting: old, options: options), grace > 0 {
            // A running pod on a node is only marked: its kubelet stops the containers (preStop
            // first) and then deletes it with a grace period of 0. A second delete may shorten
            // the grace period, never lengthen it.
            if case .int(let current) = old.value(at: "metadata.deletionGracePeriodSeconds"), current <= grace { return old }
            var marked = old
            marked.set("metadata.deletionTimestamp", .string(KubernetesTime.string(Date().addingTimeInterval(TimeInterval(grace)))))
            marked.set("metadata.deletionGracePeriodSeconds", .int(grace))
            return commit(resource, "MODIFIED", key: key, object: marked, previous: old)
        }
        if !(old.value(at: "metadata.finalizers")?.array ?? []).isEmpty {
            if old.value(at: "metadata.deletionTimestamp") != nil {
                // Already marked: a pod's grace period may still be cut to 0.
                guard Self.isInGracePeriod(old) else { return old }
                var shortened = old
                shortened.set("metadata.deletionGracePeriodSeconds", .int(0))
                return commit(resource, "MODIFIED", key: key, object: shortened, previous: old)
            }
            var marked = old
            marked.set("metadata.deletionTimestamp", .string(KubernetesTime.string(Date())))
            marked.set("metadata.deletionGracePeriodSeconds", .int(0))
            return commit(resource, "MODIFIED", key: key, object: marked, previous: old)
        }
        return commit(resource, "DELETED", key: key, object: old, previous: old)
    }

    /// Whether `object` is marked for deletion with a grace period still to run.
    private static func isInGracePeriod(_ object: FakeJSON) -> Bool {
        (object.value(at: "metadata.deletionGracePeriodSeconds") ?? .int(0)) != .int(0)
    }

    /// The grace period the API server gives a pod being deleted: the request's
    /// `gracePeriodSeconds`, else 30 s; `nil` (deleted at once) when the pod was never scheduled
    /// or has finished, as the API server does.
    private static func gracePeriod(ofDeleting pod: FakeJSON, options: FakeJSON?) -> Int64? {
        guard pod.value(at: "spec.nodeName")?.string != nil else { return nil }
        if let phase = pod.value(at: "status.phase")?.string, phase == "Succeeded" || phase == "Failed" { return nil }
        if case .int(let seconds) = options?.value(at: "gracePeriodSeconds") { return seconds }
        return 30
    }

    /// Keeps what a client cannot change, skips a write that changes nothing, and deletes an
    /// object marked for deletion whose last finalizer is gone.
    private mutating func finishWrite(_ resource: FakeResource, key: String, old: FakeJSON, new: FakeJSON) -> FakeJSON {
        var new = new
        new["apiVersion"] = .string(resource.apiVersion)
        new["kind"] = .string(resource.kind)
        for field in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            new.set("metadata.\(field)", old.value(at: "metadata.\(field)"))
        }
        new.set("metadata.resourceVersion", old.value(at: "metadata.resourceVersion"))
        if new == old { return old }
        if new["spec"] != old["spec"], case .int(let generation) = old.value(at: "metadata.generation") ?? .int(1) {
            new.set("metadata.generation", .int(generation + 1))
        }
        // A pod in its grace period stays, finalizers or not, until its kubelet deletes it.
        if old.value(at: "metadata.deletionTimestamp") != nil, !Self.isInGracePeriod(old),
            (new.value(at: "metadata.finalizers")?.array ?? []).isEmpty
        {
            return commit(resource, "DELETED", key: key, object: new, previous: old)
        }
        return commit(resource, "MODIFIED", key: key, object: new, previous: old)
    }

    // MARK: Reads

    struct Page {
        var items: [FakeJSON]
        var resourceVersion: Int64
        var continueToken: String?
    }

    func list(
        _ resource: FakeResource, namespace: String?, labels: FakeSelector?, fields: FakeSelector?, limit: Int?, continueToken: String?
    ) throws -> Page {
        var listRevision = revision
        var after = ""
        if let continueToken, !continueToken.isEmpty {
            guard let data = Data(base64Encoded: continueToken), let text = String(data: data, encoding: .utf8),
                let bar = text.firstIndex(of: "|"), let tokenRevision = Int64(text[..<bar])
            else {
                throw FakeStatusError(code: 400, reason: "BadRequest", message: "continue key is not valid")
            }
            guard tokenRevision >= compactedRevision else {
                throw FakeStatusError.gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
                )
            }
            listRevision = tokenRevision
            after = String(text[text.index(after: bar)...])
        }
        let probe = Watcher(
            resource: resource, namespace: namespace, labels: labels, fields: fields, bookmarks: false,
            continuation: AsyncStream<Frame>.makeStream().continuation
        )
        let matching = (objects[resource.plural] ?? [:]).filter { $0.key > after && probe.visible($0.value) }.sorted { $0.key < $1.key }
        let page = limit.map { Array(matching.prefix($0)) } ?? matching
        var token: String?
        if page.count < matching.count, let last = page.last {
            token = Data("\(listRevision)|\(last.key)".utf8).base64EncodedString()
        }
        return Page(items: page.map(\.value), resourceVersion: listRevision, continueToken: token)
    }

    /// Registers a watch and returns the lines it starts with (the current objects for no
    /// resource version, else the history after it), or throws 410 when that is compacted.
    mutating func openWatch(_ watcher: Watcher, id: UUID, resourceVersion: String?) throws -> [String] {
        var initial: [String] = []
        if let resourceVersion, !resourceVersion.isEmpty, resourceVersion != "0" {
            guard let from = Int64(resourceVersion) else {
                throw FakeStatusError(code: 400, reason: "BadRequest", message: "invalid resource version \(resourceVersion)")
            }
            guard from >= compactedRevision else {
                throw FakeStatusError.gone("too old resource version: \(from) (\(compactedRevision))")
            }
            initial = history.filter { $0.revision > from }.compactMap { watcher.line(for: $0) }
        } else {
            initial = (objects[watcher.resource.plural] ?? [:]).sorted { $0.key < $1.key }.filter { watcher.visible($0.value) }
                .map { Self.eventLine("ADDED", $0.value) }
        }
        if stopped {
            watcher.continuation.finish()
        } else {
            watchers[id] = watcher
        }
        return initial
    }

    // MARK: Faults

    /// Forgets the history: every open watch ends (with an `ERROR` 410 event or a cut, as
    /// ``goneDelivery`` says), `changes` are applied with no watch open to see them, and every
    /// resource version before now becomes too old (410).
    mutating func expire(_ changes: (inout FakeKubernetesStore) throws -> Void) rethrows {
        let goneLine = Self.eventLine(
            "ERROR", FakeStatusError.gone("too old resource version: \(revision) (\(revision + 1))").json
        )
        for watcher in watchers.values {
            switch goneDelivery {
            case .errorEvent: watcher.continuation.yield(.line(goneLine))
            case .httpStatus: watcher.continuation.yield(.cut(partial: nil))
            }
            watcher.continuation.finish()
        }
        watchers = [:]
        try changes(&self)
        compactedRevision = revision
        history.removeAll()
    }

    /// Breaks every open watch now, or (`midNextEvent`) in the middle of the next event each gets.
    mutating func cutWatches(midNextEvent: Bool) {
        for (id, watcher) in watchers {
            if midNextEvent {
                watchers[id]?.cutMidNextEvent = true
            } else {
                watcher.continuation.yield(.cut(partial: nil))
                watcher.continuation.finish()
                watchers[id] = nil
            }
        }
    }

    /// Ends every open watch normally (as its server-side timeout would).
    mutating func endWatches() {
        for watcher in watchers.values {
            watcher.continuation.yield(.end)
            watcher.continuation.finish()
        }
        watchers = [:]
    }

    /// Sends a `BOOKMARK` at the current resource version to every watch that asked for them.
    mutating func sendBookmarks() {
        for watcher in watchers.values where watcher.bookmarks {
            let object: FakeJSON = .object([
                "kind": .string(watcher.resource.kind), "apiVersion": .string(watcher.resource.apiVersion),
                "metadata": .object([
                    "resourceVersion": .string(String(revision)),
                    "annotations": .object(["k8s.io/initial-events-end": "true"]),
                ]),
            ])
            watcher.continuation.yield(.line(Self.eventLine("BOOKMARK", object)))
        }
    }

    /// Stops: every watch ends and new ones end at once.
    mutating func stop() {
        stopped = true
        endWatches()
    }

    /// Advances the resource version, as changes to other resources do in a real cluster.
    mutating func bumpRevision() {
        revision += 1
    }
}
