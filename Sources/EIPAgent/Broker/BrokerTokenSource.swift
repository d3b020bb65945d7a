internal import Foundation
import Synchronization

/// Where the agent's broker token comes from: a fixed value (`EIPAGENT_BROKER_TOKEN`) or a file
/// (`--broker-token-file`, a mounted Secret) read again whenever its modification date or size
/// changes, so a rotated Secret takes effect without a restart.
///
/// The token is never logged: ``description`` shows only where it comes from.
public final class BrokerTokenSource: Sendable, CustomStringConvertible {
    private enum Origin {
        case value(String)
        case file(String)
    }

    private struct Cached {
        var token: String
        var stamp: FileStamp
    }

    private struct FileStamp: Equatable {
        var modified: Date?
        var size: Int?
    }

    private let origin: Origin
    private let cached = Mutex<Cached?>(nil)

    /// A fixed token.
    public static func value(_ token: String) -> BrokerTokenSource { BrokerTokenSource(.value(token)) }

    /// A token read from `path`, and read again when the file changes.
    public static func file(_ path: String) -> BrokerTokenSource { BrokerTokenSource(.file(path)) }

    private init(_ origin: Origin) {
        self.origin = origin
    }

    /// The current token.
    /// - Throws: ``BrokerTokenError`` when the file cannot be read or is empty.
    public func token() throws -> String {
        switch origin {
        case .value(let token):
            return token
        case .file(let path):
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let stamp = FileStamp(
                modified: attributes?[.modificationDate] as? Date, size: (attributes?[.size] as? NSNumber)?.intValue
            )
            if let token = cached.withLock({ $0?.stamp == stamp ? $0?.token : nil }) { return token }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BrokerTokenError(message: "cannot read the broker token file at \(path)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw BrokerTokenError(message: "the broker token file at \(path) is empty") }
            cached.withLock { $0 = Cached(token: token, stamp: stamp) }
            return token
        }
    }

    public var description: String {
        switch origin {
        case .value: "token from the environment"
        case .file(let path): "token file \(path)"
        }
    }
}

/// The broker token cannot be had.
public struct BrokerTokenError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
