import EIPCore
import Foundation
import Synchronization

/// Every change the emulator's VPC actions made, in order, for tests that check a broker's
/// books against what the cloud really did (an EIP released while a lease held it shows here
/// even though the EIP itself is gone). Read it from ``CloudEmulator/journal`` or as JSON at
/// `GET /_emulator/journal`. Changes whose answer was dropped (``EmulatorFaults``) are in it:
/// they took effect.
public final class EmulatorJournal: Sendable {
    /// One change that took effect.
    public struct Change: Sendable, Hashable, Codable {
        /// Milliseconds since 1970 when the change was made.
        public var at: Int64
        /// The API action (`AllocateEipAddress`, `AssociateEipAddress`, `UnassociateEipAddress`,
        /// `ReleaseEipAddress`).
        public var action: String
        public var allocationId: String
        public var ipAddress: String?
        /// The ENI an association was made to.
        public var instanceId: String?
    }

    /// The journal as served: the changes kept and how many older ones were dropped.
    public struct Snapshot: Sendable, Hashable, Codable {
        public var changes: [Change]
        public var dropped: Int
    }

    /// The most changes kept; older ones are dropped first.
    public let capacity: Int
    private let state = Mutex(Snapshot(changes: [], dropped: 0))

    public init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// The changes so far.
    public var snapshot: Snapshot { state.withLock { $0 } }

    func record(_ action: String, allocationID: String, ipAddress: String? = nil, instanceID: String? = nil) {
        let change = Change(
            at: Timestamp.now.milliseconds, action: action, allocationId: allocationID,
            ipAddress: ipAddress, instanceId: instanceID
        )
        state.withLock { journal in
            journal.changes.append(change)
            if journal.changes.count > capacity {
                let excess = journal.changes.count - capacity
                journal.changes.removeFirst(excess)
                journal.dropped += excess
            }
        }
    }
}
