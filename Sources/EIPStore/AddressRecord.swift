public import EIPCore
import EIPSQL

/// One EIP in the broker's books, from the reservation of its slot to its release.
public struct AddressRecord: Sendable, Hashable {
    /// `allocating` (slot reserved, cloud call pending), `idle` (warm, unleased), `leased`,
    /// `releasing` (cloud release pending), `released`, `lost` (gone from the cloud).
    public enum State: String, Sendable {
        case allocating, idle, leased, releasing, released, lost
    }

    /// The broker's id; also the `ClientToken` of the cloud allocation.
    public var id: String
    public var allocationID: String?
    public var ipAddress: String?
    public var provider: String
    public var region: String
    public var pool: String?
    public var isStatic: Bool
    /// What it was allocated with: the pool's defaults and the request's overrides.
    public var parameters: EIPParameters
    /// What the cloud reports of it, once allocated (or adopted).
    public var reported: EIPParameters?
    public var bandwidthPackageID: String?
    public var state: State
    public var leaseID: String?
    /// Whether an allocation was ever sent to the cloud for it (so a retry must reuse its token).
    public var cloudAttempted: Bool

    init(row: SQLRow) throws {
        id = try row.requiredString("id")
        allocationID = row.string("allocation_id")
        ipAddress = row.string("ip_address")
        provider = try row.requiredString("provider")
        region = try row.requiredString("region")
        pool = row.string("pool")
        isStatic = row.bool("static")
        parameters = try row.requiredJSON(EIPParameters.self, "parameters")
        reported = try row.json(EIPParameters.self, "reported")
        bandwidthPackageID = row.string("bandwidth_package_id")
        state = try row.required(State.self, "state")
        leaseID = row.string("lease_id")
        cloudAttempted = row.bool("cloud_attempted")
    }
}
