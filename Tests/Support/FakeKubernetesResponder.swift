import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP side of ``FakeKubernetes``: routes `/api/v1/...` and `/apis/{group}/{version}/...`
/// to the store, streams watches as chunked newline-delimited JSON, answers failures with
/// `Status` objects.
struct FakeKubernetesResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let fake: FakeKubernetes

    /// Where a request goes: the resource, namespace, object name and subresource.
    struct Route {
        var resource: FakeResource
        var namespace: String?
        var name: String?
        var subresource: String?

        init?(path: String) {
            var parts = path.split(separator: "/").map(String.init)[...]
            let group: String
            let version: String
            if parts.first == "api", parts.count >= 2 {
                group = ""
                version = parts[parts.startIndex + 1]
                parts = parts.dropFirst(2)
            } else if parts.first == "apis", parts.count >= 3 {
                group = parts[parts.startIndex + 1]
                version = parts[parts.startIndex + 2]
                parts = parts.dropFirst(3)
            } else {
                return nil
            }
            if parts.first == "namespaces", parts.count >= 3 {
                namespace = parts[parts.startIndex + 1]
                parts = parts.dropFirst(2)
            }
            guard let plural = parts.first, let resource = FakeResource.find(group: group, version: version, plural: plural) else {
                return nil
            }
            guard resource.isNamespaced || namespace == nil else { return nil }
            self.resource = resource
            parts = parts.dropFirst()
            name = parts.first
            subresource = parts.dropFirst().first
            guard parts.count <= 2 else { return nil }
        }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let query = Self.query(request.uri.description)
        let authorization = request.headers[.authorization]
        let contentType = request.headers[.contentType]
        let requiredToken = fake.withStore { store -> String? in
            store.requests.append(
                .init(
                    method: request.method.rawValue, path: request.uri.path, query: query, authorization: authorization,
                    contentType: contentType)
            )
            return store.requiredToken
        }
        if let requiredToken, authorization != "Bearer \(requiredToken)" {
            return Self.failure(FakeStatusError(code: 401, reason: "Unauthorized", message: "Unauthorized"))
        }
        guard let route = Route(path: request.uri.path) else {
            return Self.failure(FakeStatusError(code: 404, reason: "NotFound", message: "the server could not find the requested resource"))
        }
        let body = try await request.body.collect(upTo: 16 << 20)
        let json: FakeJSON? = body.readableBytes == 0 ? nil : try? FakeJSON.parse(Data(body.readableBytesView))
        do {
            switch (request.method, route.name) {
            case (.get, nil):
                if ["1", "true"].contains(query["watch"] ?? "") { return try watch(route, query: query) }
                return try list(route, query: query)
            case (.get, let name?):
                guard let object = fake.withStore({ $0.object(route.resource, route.namespace, name) }) else {
                    throw FakeStatusError.notFound(route.resource, name)
                }
                return Self.json(object)
            case (.post, nil):
                guard let json else { throw FakeStatusError(code: 400, reason: "BadRequest", message: "no body") }
                let created = try fake.withStore { try $0.create(route.resource, namespace: route.namespace, body: json) }
                return Self.json(created, status: .created)
            case (.put, let name?):
                guard let json else { throw FakeStatusError(code: 400, reason: "BadRequest", message: "no body") }
                let updated = try fake.withStore {
                    try $0.update(route.resource, namespace: route.namespace, name: name, body: json, subresource: route.subresource)
                }
                return Self.json(updated)
            case (.patch, let name?):
                guard let json else { throw FakeStatusError(code: 400, reason: "BadRequest", message: "no body") }
                let patched = try fake.withStore {
                    try $0.patch(
                        route.resource, namespace: route.namespace, name: name, contentType: contentType ?? "",
                        body: json, subresource: route.subresource
                    )
                }
                return Self.json(patched)
            case (.delete, let name?):
                let deleted = try fake.withStore { try $0.delete(route.resource, namespace: route.namespace, name: name, options: json) }
                return Self.json(deleted)
            default:
                throw FakeStatusError(
                    code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
            }
        } catch let error as FakeStatusError {
            return Self.failure(error)
        }
    }

    private func list(_ route: Route, query: [String: String]) throws -> Response {
        let page = try fake.withStore {
            try $0.list(
                route.resource, namespace: route.namespace, labels: FakeSelector(query["labelSelector"], kind: .label),
                fields: FakeSelector(query["fieldSelector"], kind: .field), limit: query["limit"].flatMap(Int.init),
                continueToken: query["continue"]
            )
        }
        var metadata: [String: FakeJSON] = ["resourceVersion": .string(String(page.resourceVersion))]
        if let token = page.continueToken { metadata["continue"] = .string(token) }
        // Items of built-in lists carry no kind or apiVersion, as the API server writes them.
        let items = page.items.map { item -> FakeJSON in
            guard route.resource.isBuiltIn else { return item }
            var item = item
            item["kind"] = nil
            item["apiVersion"] = nil
            return item
        }
        return Self.json(
            .object([
                "kind": .string(route.resource.kind + "List"), "apiVersion": .string(route.resource.apiVersion),
                "metadata": .object(metadata), "items": .array(items),
            ])
        )
    }

    private func watch(_ route: Route, query: [String: String]) throws -> Response {
        let (frames, continuation) = AsyncStream.makeStream(of: FakeKubernetesStore.Frame.self)
        let watcher = FakeKubernetesStore.Watcher(
            resource: route.resource, namespace: route.namespace, labels: FakeSelector(query["labelSelector"], kind: .label),
            fields: FakeSelector(query["fieldSelector"], kind: .field), bookmarks: query["allowWatchBookmarks"] == "true",
            continuation: continuation
        )
        let id = UUID()
        let opened = fake.withStore { store -> Result<([String], Bool), FakeStatusError> in
            do {
                return .success((try store.openWatch(watcher, id: id, resourceVersion: query["resourceVersion"]), store.splitEvents))
            } catch let error as FakeStatusError {
                // The API server refuses an expired version either as a 410 answer or, with a
                // 200, as the stream's only event; the store's setting picks which.
                if error.code == 410, store.goneDelivery == .errorEvent {
                    return .success(([FakeKubernetesStore.eventLine("ERROR", error.json)], false))
                }
                return .failure(error)
            } catch {
                return .failure(FakeStatusError(code: 500, reason: "InternalError", message: "\(error)"))
            }
        }
        let (initial, split) = try opened.get()
        let endsAtOnce = initial.first?.hasPrefix("{\"type\":\"ERROR\"") == true
        if endsAtOnce { continuation.finish() }
        let fake = self.fake
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                defer { fake.removeWatcher(id) }
                func send(_ line: String) async throws {
                    let bytes = Array(line.utf8)
                    if split, bytes.count > 2 {
                        try await writer.write(ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))
                        try await writer.write(ByteBuffer(bytes: bytes[(bytes.count / 2)...]))
                    } else {
                        try await writer.write(ByteBuffer(bytes: bytes))
                    }
                }
                for line in initial { try await send(line) }
                frames: for await frame in frames {
                    switch frame {
                    case .line(let line):
                        try await send(line)
                    case .cut(let partial):
                        if let partial { try await writer.write(ByteBuffer(string: partial)) }
                        throw FakeWatchStreamCut()
                    case .end:
                        break frames
                    }
                }
                try await writer.finish(nil)
            }
        )
    }

    static func json(_ value: FakeJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.text)))
    }

    static func failure(_ error: FakeStatusError) -> Response {
        json(error.json, status: HTTPResponse.Status(code: error.code))
    }

    /// The query of `uri`, percent-decoded.
    static func query(_ uri: String) -> [String: String] {
        guard let items = URLComponents(string: "http://fake" + uri)?.queryItems else { return [:] }
        var query: [String: String] = [:]
        for item in items { query[item.name] = item.value ?? "" }
        return query
    }
}

/// Thrown from a watch body to drop the connection without ending the chunked stream.
struct FakeWatchStreamCut: Error {}
