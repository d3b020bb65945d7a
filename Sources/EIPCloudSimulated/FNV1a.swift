/// The 64-bit FNV-1a hash: deterministic across processes and machines, unlike Swift's seeded
/// `Hasher`, so identifiers derived from it are the same in every broker replica.
enum FNV1a {
    static func hash64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
