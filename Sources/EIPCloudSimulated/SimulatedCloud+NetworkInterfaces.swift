public import EIPCloud
import EIPCore
import EIPSQL

extension SimulatedCloud {
    /// An ENI of the simulated cloud: each private IP of a VPC has its own ENI, and is its primary IP.
    public struct NetworkInterface: Sendable, Hashable {
        public var networkInterfaceID: String
        public var vpcID: String
        /// The primary (and only) private IP.
        public var privateIPAddress: String
        /// The EIP bound (or being bound) to the private IP, if any.
        public var associatedEIP: CloudEIP?

        public init(networkInterfaceID: String, vpcID: String, privateIPAddress: String, associatedEIP: CloudEIP? = nil) {
            self.networkInterfaceID = networkInterfaceID
            self.vpcID = vpcID
            self.privateIPAddress = privateIPAddress
            self.associatedEIP = associatedEIP
        }
    }

    /// The ENI of `vpcIDs` (the account's first VPC when empty) holding `privateIPAddress`, or
    /// the given ENI once it is checked to be one of them: every address of a VPC's blocks has
    /// an ENI, with an id derived from the account, the VPC and the address, recorded in
    /// `sim_enis` on first sight.
    public func networkInterface(privateIPAddress: String, networkInterfaceID: String?, region: String, vpcIDs: [String]) async throws
        -> String
    {
        try await perform(.networkInterface) {
            try Self.checkPrivateIP(privateIPAddress)
            let vpcs = vpcIDs.isEmpty ? Array(configuration.vpcs.prefix(1)) : configuration.vpcs.filter { vpcIDs.contains($0.id) }
            let found = try await database.transaction { sql in
                try await record(privateIPAddresses: [privateIPAddress], in: vpcs, sql)
            }
            let names = (vpcIDs.isEmpty ? vpcs.map(\.id) : vpcIDs).joined(separator: ", ")
            if let networkInterfaceID {
                guard found.contains(where: { $0.networkInterfaceID == networkInterfaceID }) else {
                    // The ENI is in one of the VPCs but holds another address, or is not there at all.
                    let known =
                        try await knownNetworkInterface(networkInterfaceID).map { eni in vpcs.contains { $0.id == eni.vpcID } } ?? false
                    throw CloudError(
                        .notFound, code: known ? "InvalidPrivateIpAddress.NotFound" : "InvalidNetworkInterfaceId.NotFound",
                        message: known
                            ? "The network interface \(networkInterfaceID) does not hold the private IP \(privateIPAddress)."
                            : "The network interface \(networkInterfaceID) does not exist in VPC \(names)."
                    )
                }
                return networkInterfaceID
            }
            guard let first = found.first else {
                throw CloudError(
                    .notFound, code: "InvalidPrivateIpAddress.NotFound",
                    message: "No network interface in VPC \(names) holds the private IP \(privateIPAddress).")
            }
            return first.networkInterfaceID
        }
    }

    /// The ENIs holding these private IPs (each recorded on first sight in every VPC of the
    /// account whose blocks hold it, or only in `vpcID`) and the known ENIs with these ids; when
    /// both lists are given, the ENIs in both; when neither is, every ENI seen so far. Sorted by
    /// id. Counted and faulted as ``Action/networkInterface``.
    public func networkInterfaces(privateIPAddresses: [String], networkInterfaceIDs: [String], vpcID: String?, region: String) async throws
        -> [NetworkInterface]
    {
        try await perform(.networkInterface) {
            for address in privateIPAddresses { try Self.checkPrivateIP(address) }
            let vpcs = configuration.vpcs.filter { vpcID == nil || $0.id == vpcID }
            let found: [NetworkInterface] = try await database.transaction { sql in
                if !privateIPAddresses.isEmpty { return try await record(privateIPAddresses: privateIPAddresses, in: vpcs, sql) }
                return try await sql.query("SELECT * FROM sim_enis WHERE account = \(account)").map(Self.networkInterface(row:))
                    .filter { vpcID == nil || $0.vpcID == vpcID }
            }
            var seen = Set<String>()
            let wanted = Set(networkInterfaceIDs)
            let chosen =
                found
                .filter { wanted.isEmpty || wanted.contains($0.networkInterfaceID) }
                .filter { seen.insert($0.networkInterfaceID).inserted }
                .sorted { $0.networkInterfaceID < $1.networkInterfaceID }
            let now = Timestamp.now
            var interfaces: [NetworkInterface] = []
            for var interface in chosen {
                let rows = try await database.query(
                    "SELECT * FROM sim_eips WHERE account = \(account) AND instance_id = \(interface.networkInterfaceID) AND private_ip_address = \(interface.privateIPAddress)"
                )
                interface.associatedEIP = try rows.map { try SimulatedEIPRecord(row: $0).settled(at: now) }.first { $0.instanceID != nil }?
                    .cloudEIP
                interfaces.append(interface)
            }
            return interfaces
        }
    }

    /// Records (on first sight) and returns the ENIs of `vpcs` that hold each address, in order.
    private func record(privateIPAddresses: [String], in vpcs: [SimulatedVPC], _ sql: any SQLExecutor) async throws -> [NetworkInterface] {
        var found: [NetworkInterface] = []
        for address in privateIPAddresses {
            for vpc in vpcs where vpc.contains(address) {
                let id = SimulatedIdentifiers.networkInterfaceID(account: account, vpcID: vpc.id, privateIPAddress: address)
                try await sql.query(
                    """
                    INSERT INTO sim_enis (account, vpc_id, private_ip_address, network_interface_id) VALUES (\(account), \(vpc.id), \(address), \(id))
                    ON CONFLICT (account, vpc_id, private_ip_address) DO NOTHING
                    """
                )
                let rows = try await sql.query(
                    "SELECT * FROM sim_enis WHERE account = \(account) AND vpc_id = \(vpc.id) AND private_ip_address = \(address)"
                )
                found += try rows.map(Self.networkInterface(row:))
            }
        }
        return found
    }

    private static func networkInterface(row: SQLRow) throws -> NetworkInterface {
        NetworkInterface(
            networkInterfaceID: try row.requiredString("network_interface_id"), vpcID: try row.requiredString("vpc_id"),
            privateIPAddress: try row.requiredString("private_ip_address")
        )
    }
}

extension SimulatedCloud {
    /// A known ENI (one seen by
    /// ``networkInterface(privateIPAddress:networkInterfaceID:region:vpcIDs:)`` or
    /// ``networkInterfaces(privateIPAddresses:networkInterfaceIDs:vpcID:region:)``), without its
    /// EIP, or `nil`. Neither counted nor faulted.
    public func knownNetworkInterface(_ networkInterfaceID: String) async throws -> NetworkInterface? {
        try await database.query("SELECT * FROM sim_enis WHERE account = \(account) AND network_interface_id = \(networkInterfaceID)")
            .first.map(Self.networkInterface(row:))
    }
}
