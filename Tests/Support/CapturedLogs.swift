import Logging
import Synchronization

/// A log handler that keeps every line in memory, so tests can assert what reached the logs
/// (and that secrets did not).
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger whose every message, with metadata, lands here.
    func logger(label: String = "eip-broker.test", level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: label) { _ in Handler(sink: self) }
        logger.logLevel = level
        return logger
    }

    /// Everything logged so far, one line per message.
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var count: Int { lines.withLock { $0.count } }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(merged.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
        }
    }
}
