public import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// Starts binding the EIP to the ENI's private IP and returns at once, as Alibaba's
    /// `AssociateEipAddress` does: the EIP is `Associating` and settles to `InUse` after the
    /// settle delay. Returns the status it has now.
    ///
    /// Already bound or being bound to the same ENI and IP: no change. Bound elsewhere:
    /// `IncorrectEipStatus` (`.inUseElsewhere`). Counted and faulted as ``Action/associate``.
    @discardableResult
    public func beginAssociation(allocationID: String, networkInterfaceID: String, privateIPAddress: String, region: String) async throws
        -> CloudEIP.Status
    {
        try await perform(.associate) {
            try Self.checkPrivateIP(privateIPAddress)
            guard networkInterfaceID.hasPrefix("eni-") else {
                throw CloudError(
                    .notFound, code: "InvalidInstanceId.NotFound", message: "The instance \(networkInterfaceID) does not exist.")
            }
            switch try await startAssociation(allocationID, networkInterfaceID, privateIPAddress, region) {
            case .settled:
                return .inUse
            case .changing:
                return try await read(allocationID: allocationID, region: region)?.status ?? .associating
            case .boundElsewhere(let record):
                throw CloudError(
                    .inUseElsewhere, code: "IncorrectEipStatus",
                    message:
                        "The EIP \(allocationID) is associated with \(record.instanceID ?? "another instance") (\(record.privateIPAddress ?? "-"))."
                )
            }
        }
    }

    /// Starts unbinding the EIP and returns at once, as Alibaba's `UnassociateEipAddress` does:
    /// the EIP is `Unassociating` and settles to `Available`. An unbound EIP is left as it is.
    /// Returns the status it has now. Counted and faulted as ``Action/unassociate``.
    @discardableResult
    public func beginUnassociation(allocationID: String, region: String) async throws -> CloudEIP.Status {
        try await perform(.unassociate) {
            switch try await startUnbinding(allocationID, region) {
            case .settled, .boundElsewhere:
                return .available
            case .changing:
                return try await read(allocationID: allocationID, region: region)?.status ?? .unassociating
            }
        }
    }
}
