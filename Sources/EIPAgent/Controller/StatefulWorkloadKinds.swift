internal import Foundation

/// The controller kinds whose pods may keep their EIP after they are gone (release strategy TTL
/// or Never): `StatefulSet`, and the kinds an operator adds, as ACK's
/// `customStatefulWorkloadKinds` and Terway's stateful workload kinds do.
///
/// A pod belongs to one when the kind of its controller (the owner reference marked
/// `controller`) is in the set, compared without case. Other pods (a Deployment's, a Job's, a
/// bare pod) follow their own lifecycle: their names never come back, so an EIP kept for them
/// would be kept for nothing.
///
/// ```swift
/// let kinds = StatefulWorkloadKinds(adding: ["GameServerSet", "AdvancedStatefulSet"])
/// kinds.owns(pod) // true for a pod whose controller is a GameServerSet
/// ```
public struct StatefulWorkloadKinds: Sendable, Hashable {
    /// The kinds, lowercased.
    private let kinds: Set<String>
    /// The kinds as given, StatefulSet first, for messages.
    public let names: [String]

    /// `StatefulSet` and `custom` (blank names are ignored, repeats kept once).
    public init(adding custom: [String] = []) {
        var names = ["StatefulSet"]
        var kinds: Set<String> = ["statefulset"]
        for name in custom.map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if kinds.insert(name.lowercased()).inserted { names.append(name) }
        }
        self.kinds = kinds
        self.names = names
    }

    /// Whether `pod` is controlled by an object of one of the kinds.
    public func owns(_ pod: Pod) -> Bool {
        pod.controller.map { kinds.contains($0.kind.lowercased()) } ?? false
    }
}
