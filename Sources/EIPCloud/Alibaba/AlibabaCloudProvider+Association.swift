import Logging

extension AlibabaCloudProvider {
    /// Binds the EIP to the ENI's private IP and waits until it is `InUse`.
    ///
    /// Looks first: bound (or being bound) to that ENI and IP already is success (after waiting
    /// for `InUse`). Bound elsewhere is `.inUseElsewhere`, unless `force`, which unbinds it
    /// first (Terway's `allow_eip_rob`). An EIP mid-unbinding is waited for. When the call
    /// itself fails (a lost answer retried, say), the EIP is looked at again before giving up.
    public func associate(allocationID: String, networkInterfaceID: String, privateIPAddress: String, region: String, force: Bool)
        async throws
    {
        try await mappingErrors {
            let region = self.region(region)
            // Each round settles one obstacle (an unbinding, a rob); a few are plenty unless
            // someone keeps binding the EIP elsewhere.
            for _ in 0..<4 {
                guard let eip = try await lookUp(allocationID, region: region) else { throw Self.notFound(allocationID) }
                let ours = eip.isBound(to: networkInterfaceID, privateIPAddress: privateIPAddress)
                switch CloudEIP.Status(rawValue: eip.status) {
                case .inUse where ours:
                    return
                case .associating where ours:
                    try await waitForAssociation(allocationID, networkInterfaceID, privateIPAddress, region)
                    return
                case .inUse, .associating:
                    guard force else {
                        throw CloudError(
                            .inUseElsewhere, code: "IncorrectEipStatus",
                            message:
                                "The EIP \(allocationID) is associated with \(eip.instanceID ?? "another instance") (\(eip.privateIPAddress ?? "-"))."
                        )
                    }
                    logger.notice(
                        "taking over an EIP bound elsewhere",
                        metadata: ["allocationID": "\(allocationID)", "from": "\(eip.instanceID ?? "-")", "to": "\(networkInterfaceID)"]
                    )
                    if eip.status == CloudEIP.Status.associating.rawValue {
                        try await waitWhile(allocationID, region, is: .associating)
                    } else {
                        try await unbind(eip, region: region)
                    }
                case .unassociating:
                    try await waitWhile(allocationID, region, is: .unassociating)
                case .releasing, .none:
                    throw CloudError(
                        .busy, code: "IncorrectEipStatus", message: "The EIP \(allocationID) is \(eip.status); it cannot be associated.")
                case .available:
                    let request = AlibabaVPCClient.AssociateEipAddressRequest(
                        allocationID: allocationID, instanceID: networkInterfaceID, instanceType: "NetworkInterface",
                        privateIPAddress: privateIPAddress
                    )
                    do {
                        try await vpc.associateEipAddress(request, region: region)
                    } catch let error where !(error is CancellationError) {
                        guard let now = try await lookUp(allocationID, region: region),
                            now.isBound(to: networkInterfaceID, privateIPAddress: privateIPAddress),
                            now.status == CloudEIP.Status.inUse.rawValue || now.status == CloudEIP.Status.associating.rawValue
                        else { throw error }
                    }
                    try await waitForAssociation(allocationID, networkInterfaceID, privateIPAddress, region)
                    logger.info(
                        "associated EIP",
                        metadata: [
                            "allocationID": "\(allocationID)", "networkInterfaceID": "\(networkInterfaceID)",
                            "privateIP": "\(privateIPAddress)",
                        ]
                    )
                    return
                }
            }
            throw CloudError(
                .busy, code: "IncorrectEipStatus", message: "The EIP \(allocationID) kept changing while it was being associated.")
        }
    }

    /// Unbinds the EIP and waits until it is `Available`. Succeeds when it is not bound; an EIP
    /// that does not exist is `.notFound`, as Alibaba answers.
    public func unassociate(allocationID: String, region: String) async throws {
        try await mappingErrors {
            let region = self.region(region)
            for _ in 0..<4 {
                guard let eip = try await lookUp(allocationID, region: region) else { throw Self.notFound(allocationID) }
                switch CloudEIP.Status(rawValue: eip.status) {
                case .available, .releasing:
                    return
                case .unassociating:
                    try await waitWhile(allocationID, region, is: .unassociating)
                    return
                case .associating:
                    try await waitWhile(allocationID, region, is: .associating)
                case .inUse:
                    try await unbind(eip, region: region)
                    logger.info("unassociated EIP", metadata: ["allocationID": "\(allocationID)", "from": "\(eip.instanceID ?? "-")"])
                    return
                case .none:
                    throw CloudError(.busy, code: "IncorrectEipStatus", message: "The EIP \(allocationID) is \(eip.status).")
                }
            }
            throw CloudError(
                .busy, code: "IncorrectEipStatus", message: "The EIP \(allocationID) kept changing while it was being unassociated.")
        }
    }

    /// Unbinds a bound EIP from its instance and waits until it is no longer unbinding.
    private func unbind(_ eip: AlibabaEIPAddress, region: String) async throws {
        let request = AlibabaVPCClient.UnassociateEipAddressRequest(
            allocationID: eip.allocationID, instanceID: eip.instanceID, instanceType: eip.instanceType ?? "NetworkInterface",
            privateIPAddress: eip.privateIPAddress
        )
        do {
            try await vpc.unassociateEipAddress(request, region: region)
        } catch let error where !(error is CancellationError) {
            guard let now = try await lookUp(eip.allocationID, region: region) else { throw error }
            guard now.status == CloudEIP.Status.available.rawValue || now.status == CloudEIP.Status.unassociating.rawValue else {
                throw error
            }
        }
        try await waitWhile(eip.allocationID, region, is: .unassociating)
    }

    /// Polls until the EIP is `InUse` on this ENI and IP.
    private func waitForAssociation(_ allocationID: String, _ eni: String, _ privateIP: String, _ region: String) async throws {
        try await configuration.settle.wait(for: "\(allocationID) becoming InUse on \(eni)") {
            guard let eip = try await lookUp(allocationID, region: region) else { throw Self.notFound(allocationID) }
            let ours = eip.isBound(to: eni, privateIPAddress: privateIP)
            switch CloudEIP.Status(rawValue: eip.status) {
            case .inUse where ours: return .settled(())
            case .associating where ours: return .pending
            case .available:
                throw CloudError(
                    .unavailable, code: "OperationFailed", message: "The association of \(allocationID) with \(eni) did not take.")
            default:
                throw CloudError(
                    .busy, code: "IncorrectEipStatus",
                    message: "The EIP \(allocationID) is \(eip.status) on \(eip.instanceID ?? "-"): another caller changed its association."
                )
            }
        }
    }

    /// Polls until the EIP is no longer in `status` (or is gone).
    private func waitWhile(_ allocationID: String, _ region: String, is status: CloudEIP.Status) async throws {
        try await configuration.settle.wait(for: "\(allocationID) leaving \(status.rawValue)") {
            guard let eip = try await lookUp(allocationID, region: region) else { return .settled(()) }
            return eip.status == status.rawValue ? .pending : .settled(())
        }
    }
}
