/// Runs `operation` while calling `renew` every `interval`, for work that holds something in the
/// database with an expiry (a lease claim, an idempotency key) and must keep holding it for as
/// long as it runs, however long that is, yet lose it soon after its replica dies.
///
/// A failed renewal is the renewer's to report; the next beat tries again, and the operation's
/// outcome is what counts.
func whileRenewing<Result>(
    every interval: Duration, _ renew: @escaping @Sendable () async -> Void, run operation: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            while true {
                try await Task.sleep(for: interval)
                await renew()
            }
        }
        defer { group.cancelAll() }
        return try await operation()
    }
}
