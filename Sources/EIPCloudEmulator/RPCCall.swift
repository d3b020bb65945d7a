import HTTPTypes

/// One authenticated API call, ready to be answered.
struct RPCCall: Sendable {
    var target: RPCTarget
    var parameters: RPCParameters
    var caller: CallerIdentity

    /// The `RegionId`, which must name the emulator's region: `MissingParameter` (400) when
    /// absent, `InvalidRegionId.NotFound` (404) otherwise.
    func region(served: String) throws(EmulatorAPIError) -> String {
        let region = try parameters.required("RegionId")
        guard region == served else {
            throw EmulatorAPIError(
                .notFound, "InvalidRegionId.NotFound", "The specified region \(region) does not exist (this emulator serves \(served)).")
        }
        return region
    }
}
