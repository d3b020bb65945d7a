public import Foundation

/// The body and media type of a PATCH request.
///
/// - ``merge(_:)``: a JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge,
///   `null` deletes a key, lists are replaced whole. Works for every resource, custom ones too.
/// - ``strategicMerge(_:)``: a strategic merge patch (`application/strategic-merge-patch+json`):
///   like a merge patch, but lists the built-in types declare mergeable are merged by their key
///   (pod conditions by `type`). Built-in types only; a custom resource answers 415.
public struct KubernetesPatch: Sendable {
    /// The `Content-Type` of the request.
    public var contentType: String
    /// The JSON body.
    public var body: Data

    public init(contentType: String, body: Data) {
        self.contentType = contentType
        self.body = body
    }

    /// A JSON merge patch of `value`'s JSON.
    public static func merge(_ value: some Encodable) throws -> KubernetesPatch {
        KubernetesPatch(contentType: "application/merge-patch+json", body: try JSONEncoder.kubernetes().encode(value))
    }

    /// A strategic merge patch of `value`'s JSON.
    public static func strategicMerge(_ value: some Encodable) throws -> KubernetesPatch {
        KubernetesPatch(contentType: "application/strategic-merge-patch+json", body: try JSONEncoder.kubernetes().encode(value))
    }
}

extension JSONEncoder {
    /// The encoder of request bodies: sorted keys, so bodies are stable in tests and logs.
    static func kubernetes() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
