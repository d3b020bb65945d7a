import EIPCloud
import EIPCore
import EIPSQL
import Foundation

/// One row of `sim_eips`: an EIP as the simulated cloud stores it, with a status that may be due
/// to settle into another.
struct SimulatedEIPRecord: Sendable {
    var allocationID: String
    var ipAddress: String
    var region: String
    var status: CloudEIP.Status
    var settlesTo: CloudEIP.Status?
    var settlesAt: Int64?
    var parameters: EIPParameters
    var bandwidthPackageID: String?
    var instanceID: String?
    var privateIPAddress: String?
    var clientToken: String?
    var tags: [String: String]

    init(row: SQLRow) throws {
        allocationID = try row.requiredString("allocation_id")
        ipAddress = try row.requiredString("ip_address")
        region = try row.requiredString("region")
        status = try row.required(CloudEIP.Status.self, "status")
        settlesTo = try row.optional(CloudEIP.Status.self, "settles_to")
        settlesAt = row.int64("settles_at")
        parameters = EIPParameters(
            bandwidth: row.int("bandwidth"),
            internetChargeType: row.string("internet_charge_type"),
            instanceChargeType: row.string("instance_charge_type"),
            isp: row.string("isp"),
            publicIpAddressPoolId: row.string("public_ip_address_pool_id"),
            resourceGroupId: row.string("resource_group_id"),
            name: row.string("name"),
            description: row.string("description")
        )
        bandwidthPackageID = row.string("bandwidth_package_id")
        instanceID = row.string("instance_id")
        privateIPAddress = row.string("private_ip_address")
        clientToken = row.string("client_token")
        tags = Self.decodeTags(row.string("tags"))
    }

    /// The record as it is at `time`: a pending change that is due has happened, and an EIP
    /// that settled to `Available` is bound to nothing.
    func settled(at time: Timestamp) -> SimulatedEIPRecord {
        guard let settlesTo, let settlesAt, settlesAt <= time.milliseconds else { return self }
        var record = self
        record.status = settlesTo
        record.settlesTo = nil
        record.settlesAt = nil
        if settlesTo == .available {
            record.instanceID = nil
            record.privateIPAddress = nil
        }
        return record
    }

    /// Whether the EIP is bound, or being bound, to this ENI's private IP.
    func isBound(to networkInterfaceID: String, _ privateIPAddress: String) -> Bool {
        instanceID == networkInterfaceID && self.privateIPAddress == privateIPAddress
    }

    var cloudEIP: CloudEIP {
        CloudEIP(
            allocationID: allocationID, ipAddress: ipAddress, region: region, status: status, parameters: parameters,
            instanceID: instanceID, privateIPAddress: privateIPAddress, bandwidthPackageID: bandwidthPackageID, tags: tags
        )
    }

    static func encodeTags(_ tags: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(tags)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decodeTags(_ text: String?) -> [String: String] {
        guard let text, let tags = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return tags
    }
}
