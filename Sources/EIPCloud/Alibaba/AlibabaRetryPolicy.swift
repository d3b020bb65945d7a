public import EIPCore
public import Logging

/// When and how often a refused or failed Alibaba call is tried again.
///
/// Retried: `Throttling*`, `ServiceUnavailable`, `InternalError`, `UnknownError`, any HTTP 5xx,
/// transport failures and timeouts, and, for EIP operations, `TaskConflict`,
/// `OperationConflict`, `IncorrectEipStatus`, `SystemBusy` and `LastTokenProcessing` (a previous
/// operation settling). Everything else is final. The pause before attempt *n* is drawn
/// uniformly from zero to `baseDelay * 2^(n-1)`, capped at ``maximumDelay`` ("full jitter"), and
/// is at least the cloud's `x-acs-retry-after`. Attempts stop at ``maximumAttempts`` or when the
/// next pause would end more than ``maximumElapsed`` after the first failure; the last error is
/// thrown. The budget starts at the first failure, not at the call: a call that waited its turn
/// in the pacer (a burst of 100 allocations at 108 a minute waits up to a minute) still gets its
/// retries when it is then refused. Each pause is reported
/// to ``CloudRetries/observer`` first.
///
/// Retried calls must be idempotent: the typed clients reuse `ClientToken`s across attempts.
public struct AlibabaRetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 turns retries off).
    public var maximumAttempts: Int
    public var baseDelay: Duration
    /// The longest pause between attempts (a longer `x-acs-retry-after` still wins).
    public var maximumDelay: Duration
    /// The time budget of the retries: pauses and attempts after the first failure.
    public var maximumElapsed: Duration
    /// Codes retried for every action.
    public var retryableCodes: Set<String>
    /// Code prefixes retried for every action (`Throttling` covers `Throttling.User`, ...).
    public var retryableCodePrefixes: [String]
    /// Codes retried for EIP operations only.
    public var eipOperationCodes: Set<String>

    public init(
        maximumAttempts: Int = 6, baseDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(10),
        maximumElapsed: Duration = .seconds(60), retryableCodes: Set<String> = AlibabaRetryPolicy.defaultRetryableCodes,
        retryableCodePrefixes: [String] = ["Throttling"], eipOperationCodes: Set<String> = AlibabaRetryPolicy.defaultEIPOperationCodes
    ) {
        self.maximumAttempts = max(maximumAttempts, 1)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumElapsed = maximumElapsed
        self.retryableCodes = retryableCodes
        self.retryableCodePrefixes = retryableCodePrefixes
        self.eipOperationCodes = eipOperationCodes
    }

    public static let defaultRetryableCodes: Set<String> = ["ServiceUnavailable", "InternalError", "UnknownError"]
    public static let defaultEIPOperationCodes: Set<String> = [
        "TaskConflict", "OperationConflict", "IncorrectEipStatus", "SystemBusy", "LastTokenProcessing",
    ]

    /// No retries at all.
    public static let none = AlibabaRetryPolicy(maximumAttempts: 1)

    /// Whether `error` may go away if the same call is made again.
    public func isRetryable(_ error: any Error, eipOperation: Bool) -> Bool {
        switch error {
        case is CancellationError:
            return false
        case let error as AlibabaAPIError:
            if error.httpStatus >= 500 || retryableCodes.contains(error.code) { return true }
            if retryableCodePrefixes.contains(where: { error.code.hasPrefix($0) }) { return true }
            return eipOperation && eipOperationCodes.contains(error.code)
        case let error as AlibabaCredentialError:
            return error.isTransient
        case is CloudError:
            // Raised locally (the rate limiter's `Throttling.Local`): the caller decides.
            return false
        default:
            // Transport: connection refused or reset, timeouts, lost responses.
            return true
        }
    }

    /// The pause before attempt `attempt + 1`, after attempt `attempt` (from 1) failed with `error`.
    public func delay(after attempt: Int, error: any Error, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(baseDelay * (1 << exponent), maximumDelay)
        let jittered = Duration.nanoseconds(Int64.random(in: 0...max(ceiling.wholeNanoseconds, 0), using: &generator))
        let hinted = (error as? AlibabaAPIError)?.retryAfter ?? .zero
        return max(jittered, hinted)
    }

    /// Runs `body` until it succeeds, fails for good, or the attempts or time run out.
    /// - Parameters:
    ///   - eipOperation: whether the EIP operation codes are retried too.
    ///   - clock: what the pauses sleep on and the budget is measured by.
    ///   - body: one attempt; it gets the attempt number, from 1.
    public func run<Result: Sendable>(
        action: String, eipOperation: Bool, clock: ElapsedClock = .continuous, logger: Logger, _ body: (Int) async throws -> Result
    ) async throws -> Result {
        var deadline: Duration?
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            do {
                return try await body(attempt)
            } catch {
                guard attempt < maximumAttempts, isRetryable(error, eipOperation: eipOperation) else { throw error }
                if deadline == nil { deadline = clock.now() + maximumElapsed }
                let pause = delay(after: attempt, error: error, using: &generator)
                guard let deadline, clock.now() + pause < deadline else { throw error }
                logger.debug(
                    "retrying Alibaba call",
                    metadata: ["action": "\(action)", "attempt": "\(attempt)", "pause": "\(pause)", "error": "\(Self.summary(of: error))"]
                )
                let throttled =
                    (error as? AlibabaAPIError).map { code in retryableCodePrefixes.contains { code.code.hasPrefix($0) } } ?? false
                await CloudRetries.observer?(
                    CloudRetry(action: action, error: Self.summary(of: error), throttled: throttled, attempt: attempt, pause: pause))
                try await clock.sleep(pause)
                attempt += 1
            }
        }
    }

    /// A one-line account of an error for logs.
    static func summary(of error: any Error) -> String {
        switch error {
        case let error as AlibabaAPIError: "\(error.code) [HTTP \(error.httpStatus)]" + (error.requestID.map { " \($0)" } ?? "")
        default: "\(error)"
        }
    }
}
