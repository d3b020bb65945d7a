import EIPAgent
import Synchronization
import Testing

/// Bounded polling for the Kubernetes tests: checks `condition` every 20 ms until it holds,
/// failing after `timeout` (generous: a loaded machine is slow, the check is not a timing claim).
func waitUntil(
    _ what: String, timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw WaitTimedOut(what: what)
}

struct WaitTimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting until \(what)" }
}

/// Records every event an informer delivers, for tests to poll.
final class InformerRecorder<Object: KubernetesObject>: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[InformerEvent<Object>]>([])
    }

    private let storage = Storage()

    /// Starts consuming `informer.events`; the recording ends when the informer stops.
    init(_ informer: Informer<Object>) {
        let storage = self.storage
        Task { for await event in informer.events { storage.events.withLock { $0.append(event) } } }
    }

    var events: [InformerEvent<Object>] { storage.events.withLock { $0 } }

    /// One line per event: `added default/a`, `updated default/a`, `deleted default/a`, `synced`.
    var summary: [String] {
        events.map { event in
            switch event {
            case .added(let object): return "added \(object.key)"
            case .updated(_, let object): return "updated \(object.key)"
            case .deleted(let object): return "deleted \(object.key)"
            case .synced: return "synced"
            }
        }
    }

    /// Waits until the events delivered so far contain `line`.
    func waitFor(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await waitUntil("the informer delivered \(line)", sourceLocation: sourceLocation) { summary.contains(line) }
    }
}
