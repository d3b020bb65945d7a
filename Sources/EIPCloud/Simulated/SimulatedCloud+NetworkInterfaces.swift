import EIPCore
import EIPStore

extension SimulatedCloud {
    /// An ENI of the simulated cloud: each private IP has its own ENI, and is its primary IP.
    public struct NetworkInterface: Sendable, Hashable {
        public var networkInterfaceID: String
        /// The primary (and only) private IP.
        public var privateIPAddress: String
        /// The EIP bound (or being bound) to the private IP, if any.
        public var associatedEIP: CloudEIP?

        public init(networkInterfaceID: String, privateIPAddress: String, associatedEIP: CloudEIP? = nil) {
            self.networkInterfaceID = networkInterfaceID
            self.privateIPAddress = privateIPAddress
            self.associatedEIP = associatedEIP
        }
    }

    /// The ENIs holding these private IPs (each recorded on first sight, as
    /// ``networkInterface(privateIPAddress:region:)`` does) and the known ENIs with these ids;
    /// when both lists are given, the ENIs in both; when neither is, every ENI seen so far.
    /// Sorted by id. Counted and faulted as ``Action/networkInterface``.
    public func networkInterfaces(privateIPAddresses: [String], networkInterfaceIDs: [String], region: String) async throws -> [NetworkInterface] {
        try await perform(.networkInterface) {
            for address in privateIPAddresses { try Self.checkPrivateIP(address) }
            let pairs: [(id: String, ip: String)] = try await database.transaction { sql in
                var found: [(id: String, ip: String)] = []
                for address in privateIPAddresses {
                    let id = SimulatedIdentifiers.networkInterfaceID(account: account, privateIPAddress: address)
                    try await sql.query(
                        """
                        INSERT INTO sim_enis (account, private_ip_address, network_interface_id) VALUES (\(account), \(address), \(id))
                        ON CONFLICT (account, private_ip_address) DO NOTHING
                        """
                    )
                    let rows = try await sql.query(
                        "SELECT network_interface_id FROM sim_enis WHERE account = \(account) AND private_ip_address = \(address)"
                    )
                    found.append((try rows.first?.requiredString("network_interface_id") ?? id, address))
                }
                if privateIPAddresses.isEmpty {
                    for row in try await sql.query("SELECT network_interface_id, private_ip_address FROM sim_enis WHERE account = \(account)") {
                        found.append((try row.requiredString("network_interface_id"), try row.requiredString("private_ip_address")))
                    }
                }
                return found
            }
            var seen = Set<String>()
            let wanted = Set(networkInterfaceIDs)
            let chosen = pairs
                .filter { wanted.isEmpty || wanted.contains($0.id) }
                .filter { seen.insert($0.id).inserted }
                .sorted { $0.id < $1.id }
            let now = Timestamp.now
            var interfaces: [NetworkInterface] = []
            for (id, ip) in chosen {
                let rows = try await database.query(
                    "SELECT * FROM sim_eips WHERE account = \(account) AND instance_id = \(id) AND private_ip_address = \(ip)"
                )
                let bound = try rows.map { try SimulatedEIPRecord(row: $0).settled(at: now) }.first { $0.instanceID != nil }
                interfaces.append(NetworkInterface(networkInterfaceID: id, privateIPAddress: ip, associatedEIP: bound?.cloudEIP))
            }
            return interfaces
        }
    }
}

extension SimulatedCloud {
    /// The id of the ENI whose primary IP is `privateIPAddress`: the same in every process.
    /// Neither counted nor faulted.
    public func stableNetworkInterfaceID(privateIPAddress: String) -> String {
        SimulatedIdentifiers.networkInterfaceID(account: account, privateIPAddress: privateIPAddress)
    }

    /// The private IP of a known ENI (one seen by ``networkInterface(privateIPAddress:region:)``
    /// or ``networkInterfaces(privateIPAddresses:networkInterfaceIDs:region:)``), or `nil`.
    /// Neither counted nor faulted.
    public func privateIPAddress(ofNetworkInterface networkInterfaceID: String) async throws -> String? {
        let rows = try await database.query(
            "SELECT private_ip_address FROM sim_enis WHERE account = \(account) AND network_interface_id = \(networkInterfaceID)"
        )
        return try rows.first?.requiredString("private_ip_address")
    }
}
