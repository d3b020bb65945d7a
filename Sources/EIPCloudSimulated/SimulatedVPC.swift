import EIPCloud
import EIPCore

/// A VPC of the simulated cloud: its id and the IPv4 blocks its ENIs' private IPs come from.
///
/// Every address of a block has an ENI of its own in that VPC, created on first sight. Two VPCs
/// may hold the same block (clusters routinely reuse pod CIDRs): the same private IP is then two
/// ENIs, one in each.
public struct SimulatedVPC: Sendable, Hashable {
    public var id: String
    /// CIDR blocks such as `10.0.0.0/16`.
    public var cidrBlocks: [String]

    /// - Parameters:
    ///   - id: The VPC id (`vpc-...`).
    ///   - cidrBlocks: IPv4 CIDR blocks; a block that does not parse holds no address.
    public init(id: String, cidrBlocks: [String]) {
        self.id = id
        self.cidrBlocks = cidrBlocks
    }

    /// The VPC of a simulated account that names none: `vpc-sim`, holding every IPv4 address.
    public static let `default` = SimulatedVPC(id: "vpc-sim", cidrBlocks: ["0.0.0.0/0"])

    /// Whether `address` (dotted IPv4) is in one of the VPC's blocks.
    public func contains(_ address: String) -> Bool {
        guard let value = Self.ipv4(address) else { return false }
        return cidrBlocks.contains { block in
            guard let (base, mask) = Self.block(block) else { return false }
            return value & mask == base & mask
        }
    }

    /// Whether `block` is an IPv4 CIDR block (`10.0.0.0/16`).
    public static func isValidBlock(_ block: String) -> Bool { Self.block(block) != nil }

    /// A block's base address and mask.
    private static func block(_ text: String) -> (base: UInt32, mask: UInt32)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let base = ipv4(String(parts[0])), parts[1].allSatisfy(\.isASCII), let bits = UInt32(parts[1]), bits <= 32
        else { return nil }
        return (base, bits == 0 ? 0 : ~UInt32(0) << (32 - bits))
    }

    /// The address as a 32-bit number, or `nil` when it is not dotted IPv4.
    static func ipv4(_ address: String) -> UInt32? {
        guard Validation.isIPv4(address) else { return nil }
        return address.split(separator: ".").reduce(UInt32(0)) { $0 << 8 | UInt32($1)! }
    }
}
