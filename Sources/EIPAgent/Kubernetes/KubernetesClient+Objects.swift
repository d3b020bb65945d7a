import Foundation
import Logging
import NIOHTTP1

extension KubernetesClient {
    /// One page of objects of `type`, in `namespace` or (`nil`) every namespace.
    ///
    /// ```swift
    /// let page = try await client.list(Pod.self, options: ListOptions(labelSelector: "app=web", limit: 100))
    /// ```
    public func list<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String? = nil, options: ListOptions = ListOptions()
    ) async throws -> ObjectList<Object> {
        let reply = try await send(.GET, Object.resource.path(namespace: namespace), query: options.queryItems)
        return try decode(ObjectList<Object>.self, from: reply)
    }

    /// Every object of `type`, fetched page by page (`options.limit` a page, 500 when not set)
    /// following the `continue` tokens. The answer's resource version is the first page's: the
    /// snapshot a watch continues from.
    ///
    /// When a continue token expires mid-way (`410`), the list starts again in one page, as
    /// client-go's pager does.
    public func listAll<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String? = nil, options: ListOptions = ListOptions()
    ) async throws -> ObjectList<Object> {
        var pageOptions = options
        pageOptions.limit = options.limit ?? 500
        pageOptions.continueToken = nil
        var items: [Object] = []
        var first: ListMeta?
        while true {
            let page: ObjectList<Object>
            do {
                page = try await list(Object.self, namespace: namespace, options: pageOptions)
            } catch let error as KubernetesAPIError where error.code == .gone && pageOptions.continueToken != nil {
                logger.debug(
                    "the list's continue token expired; listing again in one page", metadata: ["resource": "\(Object.resource.plural)"])
                var whole = options
                whole.limit = nil
                whole.continueToken = nil
                return try await list(Object.self, namespace: namespace, options: whole)
            }
            if first == nil { first = page.metadata }
            items += page.items
            guard let token = page.metadata.continueToken, !token.isEmpty else { break }
            pageOptions.continueToken = token
        }
        return ObjectList(metadata: ListMeta(resourceVersion: first?.resourceVersion), items: items)
    }

    /// The object `name` of `type` in `namespace`.
    /// - Throws: ``KubernetesAPIError`` with ``KubernetesAPIError/Code/notFound`` when there is none.
    public func get<Object: KubernetesObject>(_ type: Object.Type, namespace: String?, name: String) async throws -> Object {
        let reply = try await send(.GET, Object.resource.path(namespace: namespace, name: name))
        return try decode(Object.self, from: reply)
    }

    /// Creates `object` in the namespace of its metadata, and returns it as stored (with its
    /// uid, resource version and, for `generateName`, its name).
    /// - Throws: ``KubernetesAPIError`` with ``KubernetesAPIError/Code/alreadyExists`` when the
    ///   name is taken.
    public func create<Object: KubernetesObject>(_ object: Object) async throws -> Object {
        let body = try JSONEncoder.kubernetes().encode(RequestBody(object: object))
        let reply = try await send(.POST, Object.resource.path(namespace: object.metadata.namespace), body: body)
        return try decode(Object.self, from: reply)
    }

    /// Replaces `object` (PUT). Its `metadata.resourceVersion` is the version it was read at: if
    /// the object changed since, the update fails with ``KubernetesAPIError/Code/conflict``.
    public func update<Object: KubernetesObject>(_ object: Object) async throws -> Object {
        try await put(object, subresource: nil)
    }

    /// Replaces the `status` of `object` through its status subresource (PUT `/status`): only the
    /// status changes. Conflicts as ``update(_:)`` does.
    public func updateStatus<Object: KubernetesObject>(_ object: Object) async throws -> Object {
        try await put(object, subresource: "status")
    }

    private func put<Object: KubernetesObject>(_ object: Object, subresource: String?) async throws -> Object {
        let body = try JSONEncoder.kubernetes().encode(RequestBody(object: object))
        let path = Object.resource.path(namespace: object.metadata.namespace, name: object.metadata.name, subresource: subresource)
        let reply = try await send(.PUT, path, body: body)
        return try decode(Object.self, from: reply)
    }

    /// Patches the object `name` (or its `subresource`, such as `status`) and returns it as stored.
    public func patch<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String?, name: String, _ patch: KubernetesPatch, subresource: String? = nil
    ) async throws -> Object {
        let path = Object.resource.path(namespace: namespace, name: name, subresource: subresource)
        let reply = try await send(.PATCH, path, body: patch.body, contentType: patch.contentType)
        return try decode(Object.self, from: reply)
    }

    /// Deletes the object `name`. An object with finalizers is only marked (its
    /// `deletionTimestamp` set) until they are all removed.
    /// - Parameters:
    ///   - preconditions: Delete only if the object still has this uid and/or resource version
    ///     (else ``KubernetesAPIError/Code/conflict``).
    ///   - propagationPolicy: `Orphan`, `Background` or `Foreground` for the object's dependents.
    /// - Throws: ``KubernetesAPIError`` with ``KubernetesAPIError/Code/notFound`` when there is none.
    public func delete<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String?, name: String, preconditions: DeletePreconditions? = nil,
        propagationPolicy: String? = nil
    ) async throws {
        let options = DeleteOptions(preconditions: preconditions, propagationPolicy: propagationPolicy)
        let body = try JSONEncoder.kubernetes().encode(options)
        let reply = try await send(.DELETE, Object.resource.path(namespace: namespace, name: name), body: body)
        try check(reply)
    }
}
