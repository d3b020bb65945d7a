/// How the simulated cloud names things: allocation ids, ENI ids and public addresses.
enum SimulatedIdentifiers {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// A new allocation id: `eip-` and 20 random lowercase letters and digits, as Alibaba's.
    static func allocationID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "eip-" + String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The ENI that holds `privateIPAddress` in a VPC of `account`: the same in every process,
    /// because it is derived from the three with FNV-1a.
    static func networkInterfaceID(account: String, vpcID: String, privateIPAddress: String) -> String {
        let hex = String(FNV1a.hash64("\(account)|\(vpcID)|\(privateIPAddress)"), radix: 16)
        return "eni-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The account's default resource group, which an EIP allocated without `ResourceGroupId`
    /// joins (as every Alibaba account has one): `rg-acfm` and 12 characters derived from the
    /// account with FNV-1a.
    static func defaultResourceGroup(account: String) -> String {
        let hex = String(FNV1a.hash64("resource-group|\(account)"), radix: 16)
        return "rg-acfm" + String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }

    /// The name of the `sim_counters` row that numbers public addresses, shared by all accounts
    /// because `sim_eips.ip_address` is unique across them.
    static let addressCounter = "ip:198.18.0.0/15"

    /// The `number`th public address (from 1) of 198.18.0.0/15, the benchmarking range, skipping
    /// host octets 0 and 255; `nil` once the range is used up.
    static func address(number: Int64) -> String? {
        guard number >= 1 else { return nil }
        let index = number - 1
        let subnet = index / 254
        let host = index % 254 + 1
        guard subnet < 512 else { return nil }
        return "198.\(18 + subnet / 256).\(subnet % 256).\(host)"
    }
}
