#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit, and how many of those files the listener may spend on client
/// connections.
///
/// Running out of descriptors is fatal in places the broker does not control (libdispatch aborts
/// when it cannot open `/proc` files), so connections stop being accepted well before the limit:
/// a quarter of it, at most 256, stays for the database pool, cloud connections and the runtime.
enum FileDescriptorLimit {
    /// Raises the soft open-file limit to the hard limit, as Go's runtime does at start.
    /// - Returns: The soft limit in force afterwards, or `nil` when it cannot be read.
    static func raiseSoftLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The most client connections that fit under `softLimit` with room left for everything else.
    /// - Parameters:
    ///   - configured: The configured maximum (`--max-connections`).
    ///   - softLimit: The open-file limit, or `nil` when unknown.
    static func connectionLimit(configured: Int, softLimit: Int?) -> Int {
        guard let softLimit else { return configured }
        let reserve = min(256, softLimit / 4)
        return max(1, min(configured, softLimit - reserve))
    }
}
