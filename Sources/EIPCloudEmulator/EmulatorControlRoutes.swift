import Foundation
import HTTPTypes
import Hummingbird

/// The emulator's own endpoints, for tests driving an emulator in another process:
/// `GET /_emulator/stats` (``EmulatorStats/Snapshot`` as JSON), `GET /_emulator/journal`
/// (``EmulatorJournal/Snapshot``), `GET /_emulator/faults` and
/// `POST /_emulator/faults` (``EmulatorFaults/Settings`` as JSON; answers the faults now in force).
struct EmulatorControlRoutes: Sendable {
    let emulator: CloudEmulator

    func register(on router: Router<BasicRequestContext>) {
        router.get("/_emulator/stats") { _, _ in
            Self.json(emulator.stats.snapshot)
        }
        router.get("/_emulator/journal") { _, _ in
            Self.json(emulator.journal.snapshot)
        }
        router.get("/_emulator/faults") { _, _ in
            Self.json(emulator.faults.settings)
        }
        router.post("/_emulator/faults") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            let settings: EmulatorFaults.Settings
            do {
                settings = try JSONDecoder().decode(EmulatorFaults.Settings.self, from: Data(body.readableBytesView))
            } catch {
                return Response(
                    status: .badRequest, headers: [.contentType: "text/plain"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "The body is not a JSON faults object: \(error)"))
                )
            }
            emulator.faults.apply(settings)
            return Self.json(emulator.faults.settings)
        }
    }

    private static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
