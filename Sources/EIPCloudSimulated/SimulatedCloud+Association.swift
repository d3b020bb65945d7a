import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// Binds the EIP to the ENI's private IP and waits until it is `InUse`.
    ///
    /// An `Available` EIP starts `Associating` and settles to `InUse` after the settle delay. An
    /// EIP already bound (or being bound) to the same ENI and IP is waited for. One bound
    /// elsewhere is refused with `.inUseElsewhere`, unless `force`, which unbinds it first. An EIP
    /// mid-change, or a private IP that already has another EIP, is `.busy`.
    public func associate(allocationID: String, networkInterfaceID: String, privateIPAddress: String, region: String, force: Bool)
        async throws
    {
        try await perform(.associate) {
            try Self.checkPrivateIP(privateIPAddress)
            guard networkInterfaceID.hasPrefix("eni-") else {
                throw CloudError(
                    .notFound, code: "InvalidInstanceId.NotFound", message: "The instance \(networkInterfaceID) does not exist.")
            }
            // Robbing races other callers; after a few lost rounds, report the EIP as busy.
            for _ in 0..<3 {
                switch try await startAssociation(allocationID, networkInterfaceID, privateIPAddress, region) {
                case .settled:
                    return
                case .changing:
                    try await waitForAssociation(allocationID, networkInterfaceID, privateIPAddress, region)
                    return
                case .boundElsewhere(let record):
                    guard force else {
                        throw CloudError(
                            .inUseElsewhere, code: "IncorrectEipStatus",
                            message:
                                "The EIP \(allocationID) is associated with \(record.instanceID ?? "another instance") (\(record.privateIPAddress ?? "-"))."
                        )
                    }
                    try await unbind(allocationID, region)
                }
            }
            throw CloudError(
                .busy, code: "IncorrectEipStatus",
                message: "The EIP \(allocationID) kept being associated elsewhere while it was taken over.")
        }
    }

    /// Unbinds the EIP and waits until it is `Available`. Succeeds when it is not bound; an EIP
    /// that does not exist is `.notFound`, as Alibaba answers.
    public func unassociate(allocationID: String, region: String) async throws {
        try await perform(.unassociate) {
            try await unbind(allocationID, region)
        }
    }

    /// Where an association or unassociation stands after its transaction.
    enum Transition {
        /// Already in the wanted state.
        case settled
        /// On its way to the wanted state.
        case changing
        /// Bound to another ENI or IP.
        case boundElsewhere(SimulatedEIPRecord)
    }

    func startAssociation(_ allocationID: String, _ eni: String, _ privateIP: String, _ region: String) async throws -> Transition {
        try await database.transaction { sql in
            guard let record = try await lockedRecord(sql, allocationID: allocationID, region: region) else {
                throw Self.notFound(allocationID)
            }
            switch record.status {
            case .inUse:
                return record.isBound(to: eni, privateIP) ? .settled : .boundElsewhere(record)
            case .associating where record.isBound(to: eni, privateIP):
                return .changing
            case .associating, .unassociating, .releasing:
                throw Self.incorrectStatus(record, "it is changing")
            case .available:
                break
            }
            // One EIP per private IP: another bound to it has to be unbound first.
            let now = Timestamp.now
            let holders = try await sql.query(
                """
                SELECT * FROM sim_eips WHERE account = \(account) AND instance_id = \(eni) AND private_ip_address = \(privateIP)
                AND allocation_id <> \(allocationID)
                """
            )
            if let holder = try holders.map({ try SimulatedEIPRecord(row: $0).settled(at: now) }).first(where: { $0.instanceID != nil }) {
                throw CloudError(
                    .busy, code: "OperationConflict",
                    message: "The private IP \(privateIP) of \(eni) is already associated with \(holder.allocationID)."
                )
            }
            try await sql.query(
                """
                UPDATE sim_eips SET status = \(CloudEIP.Status.associating.rawValue), settles_to = \(CloudEIP.Status.inUse.rawValue),
                    settles_at = \(settlesAt), instance_id = \(eni), private_ip_address = \(privateIP)
                WHERE account = \(account) AND allocation_id = \(allocationID)
                """
            )
            return .changing
        }
    }

    private func waitForAssociation(_ allocationID: String, _ eni: String, _ privateIP: String, _ region: String) async throws {
        try await waitUntilSettled(allocationID, wanted: .inUse) {
            guard let record = try await read(allocationID: allocationID, region: region) else { throw Self.notFound(allocationID) }
            switch record.status {
            case .inUse where record.isBound(to: eni, privateIP): return true
            case .associating where record.isBound(to: eni, privateIP): return false
            default: throw Self.incorrectStatus(record, "another caller changed its association")
            }
        }
    }

    /// Starts unbinding an EIP (unless it is unbound or already unbinding) and waits until it is
    /// `Available`.
    private func unbind(_ allocationID: String, _ region: String) async throws {
        let transition = try await startUnbinding(allocationID, region)
        guard case .changing = transition else { return }
        // Done once it is no longer unbinding, even if another caller has bound it again since.
        try await waitUntilSettled(allocationID, wanted: .available) {
            try await read(allocationID: allocationID, region: region)?.status != .unassociating
        }
    }

    /// Starts unbinding an EIP in one transaction: `.settled` when it is unbound, `.changing`
    /// when it is (now) unbinding.
    func startUnbinding(_ allocationID: String, _ region: String) async throws -> Transition {
        try await database.transaction { sql in
            guard let record = try await lockedRecord(sql, allocationID: allocationID, region: region) else {
                throw Self.notFound(allocationID)
            }
            switch record.status {
            case .available: return .settled
            case .unassociating: return .changing
            case .associating, .releasing: throw Self.incorrectStatus(record, "it is changing")
            case .inUse: break
            }
            try await sql.query(
                """
                UPDATE sim_eips SET status = \(CloudEIP.Status.unassociating.rawValue), settles_to = \(CloudEIP.Status.available.rawValue),
                    settles_at = \(settlesAt)
                WHERE account = \(account) AND allocation_id = \(allocationID)
                """
            )
            return .changing
        }
    }

    /// Polls `isSettled` with exponential backoff (10 ms doubling to 200 ms) until it says yes,
    /// or throws `.unavailable` after the configured settle timeout.
    private func waitUntilSettled(_ allocationID: String, wanted: CloudEIP.Status, _ isSettled: () async throws -> Bool) async throws {
        let policy = SettlePolicy(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(200), timeout: configuration.settleTimeout)
        try await policy.wait(for: "The EIP \(allocationID) becoming \(wanted.rawValue)") {
            try await isSettled() ? .settled(()) : .pending
        }
    }

    static func checkPrivateIP(_ address: String) throws {
        guard Validation.isIPv4(address) else {
            throw CloudError(
                .rejected, code: "InvalidParameter", message: "The private IP address '\(address)' is not a valid IPv4 address.")
        }
    }
}
