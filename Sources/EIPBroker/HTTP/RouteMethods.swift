import Hummingbird
import Synchronization

/// The methods each route template serves, so a request for a known path with a method it does
/// not serve is answered `405` with `Allow` rather than `404`.
///
/// Filled once from the router after the handlers are registered, before the server starts.
final class RouteMethods: Sendable {
    private let routes = Mutex<[(template: [RouterPath.Element], methods: Set<String>)]>([])

    /// Records every route of a router (`router.routes`).
    func record(_ routes: [Router<some RequestContext>.RouteDescription]) {
        var table: [(template: [RouterPath.Element], methods: Set<String>)] = []
        for route in routes {
            let template = route.path.components.filter { $0 != .null }
            if let index = table.firstIndex(where: { $0.template == template }) {
                table[index].methods.insert(route.method.rawValue)
            } else {
                table.append((template, [route.method.rawValue]))
            }
        }
        self.routes.withLock { $0 = table }
    }

    /// The methods served at `path`, sorted; empty when no route matches it.
    func methods(at path: String) -> [String] {
        let segments = path.split(separator: "/")
        return self.routes.withLock { routes in
            let matching = routes.first { route in
                route.template.count == segments.count && zip(route.template, segments).allSatisfy { $0 ~= $1 }
            }
            return matching.map { $0.methods.sorted() } ?? []
        }
    }
}
