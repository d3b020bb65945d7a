import Foundation

/// One event of a watch stream. `ERROR` events are not events: the stream throws them as
/// ``KubernetesAPIError`` (``KubernetesAPIError/Code/gone`` for an expired resource version).
public enum WatchEvent<Object: KubernetesObject>: Sendable {
    case added(Object)
    case modified(Object)
    /// The object's last state.
    case deleted(Object)
    /// No object changed, but the stream has seen everything up to this resource version: a
    /// later watch may resume from it.
    case bookmark(resourceVersion: String)

    /// The resource version to resume a watch from after this event.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): return object.metadata.resourceVersion
        case .bookmark(let version): return version
        }
    }

    /// Decodes one line of the stream: `{"type":"ADDED","object":{...}}`.
    static func decode(_ line: some Collection<UInt8>) throws -> WatchEvent {
        let data = Data(line)
        let decoder = JSONDecoder()
        let type: String
        do {
            type = try decoder.decode(TypeOnly.self, from: data).type
        } catch {
            throw KubernetesAPIError.invalidResponse(httpStatus: 200, "a watch event is not JSON with a type")
        }
        do {
            switch type {
            case "ADDED": return .added(try decoder.decode(Envelope<Object>.self, from: data).object)
            case "MODIFIED": return .modified(try decoder.decode(Envelope<Object>.self, from: data).object)
            case "DELETED": return .deleted(try decoder.decode(Envelope<Object>.self, from: data).object)
            case "BOOKMARK":
                let version = try decoder.decode(Envelope<Bookmark>.self, from: data).object.metadata.resourceVersion
                return .bookmark(resourceVersion: version)
            case "ERROR":
                let status = try decoder.decode(Envelope<KubernetesStatus>.self, from: data).object
                let code = status.code ?? 500
                throw KubernetesAPIError(
                    code: KubernetesAPIError.classify(httpStatus: code, reason: status.reason), httpStatus: code, status: status,
                    message: status.message ?? "watch error"
                )
            default:
                throw KubernetesAPIError.invalidResponse(httpStatus: 200, "unknown watch event type \(type)")
            }
        } catch let error as KubernetesAPIError {
            throw error
        } catch {
            throw KubernetesAPIError.invalidResponse(httpStatus: 200, "a \(type) watch event does not decode: \(error)")
        }
    }

    private struct TypeOnly: Decodable { var type: String }

    private struct Envelope<Value: Decodable>: Decodable { var object: Value }

    private struct Bookmark: Decodable {
        struct Metadata: Decodable { var resourceVersion: String }
        var metadata: Metadata
    }
}
