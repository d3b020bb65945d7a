public import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// Whether `address` is one the simulated cloud hands out: 198.18.0.0/15 (the benchmarking
    /// range), host octets 1 to 254.
    public static func isSimulatedPublicAddress(_ address: String) -> Bool {
        guard Validation.isIPv4(address) else { return false }
        let octets = address.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return false }
        return octets[0] == 198 && (octets[1] == 18 || octets[1] == 19) && (1...254).contains(octets[3])
    }

    /// Allocates the EIP with exactly `ipAddress` (Alibaba's `AllocateEipAddressPro` with
    /// `IpAddress`), or returns the one an earlier call with the same client token made.
    ///
    /// The address must be in the simulated range (``isSimulatedPublicAddress(_:)``) and free in
    /// every account; later allocations by counter skip it. Quota and client token work as in
    /// ``allocate(_:)``.
    public func allocate(_ request: CloudAllocationRequest, ipAddress: String) async throws -> CloudEIP {
        try await perform(.allocate) {
            if let violation = request.parameters.violations().first {
                throw CloudError(.rejected, code: "InvalidParameter", message: "\(violation.field) \(violation.rule)")
            }
            guard !request.region.isEmpty else {
                throw CloudError(.rejected, code: "InvalidRegionId.Malformed", message: "The region is empty.")
            }
            guard Self.isSimulatedPublicAddress(ipAddress) else {
                throw CloudError(
                    .rejected, code: "InvalidParameter",
                    message: "The IP address '\(ipAddress)' is not in the simulated public range 198.18.0.0/15 (host 1-254)."
                )
            }
            let parameters = defaultParameters.overridden(by: request.parameters)
            let token = request.clientToken.isEmpty ? nil : request.clientToken
            do {
                return try await database.transaction { sql in
                    try await allocate(sql, request, parameters: parameters, token: token, requestedAddress: ipAddress)
                }
            } catch SQLError.uniqueViolation {
                throw CloudError(
                    .rejected, code: "InvalidIpAddress.AlreadyAllocated", message: "The IP address \(ipAddress) is already allocated.")
            }
        }
    }
}
