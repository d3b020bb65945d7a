import Logging
import Synchronization

/// The run of consecutive failed passes of a background loop (the database away, most often),
/// shared by the loop's workers: the first failure of a run is logged as a warning, the run's
/// end as a notice with its length, and the failures between are debug lines, so an outage is
/// two lines in the log rather than one per worker per poll. The wait before the next pass
/// grows with the run (doubling from 100 ms to at most 2 s), so a loop resumes within about 2 s
/// of the database's return.
final class FailureStreak: Sendable {
    private let failures = Mutex(0)
    let loop: String
    let logger: Logger

    init(loop: String, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    /// Records a failed pass and returns how long to wait before the next one. A pass cut short
    /// by shutdown (its task cancelled) is not a failure of the loop and is not logged.
    func failed(_ error: any Error) -> Duration {
        guard !Task.isCancelled else { return .zero }
        let count = failures.withLock { count in
            count += 1
            return count
        }
        if count == 1 {
            logger.warning("\(loop) paused: a pass failed; retrying until it succeeds", metadata: ["error": "\(error)"])
        } else {
            logger.debug("\(loop) pass failed again", metadata: ["failures": "\(count)", "error": "\(error)"])
        }
        return .milliseconds(min(2000, 100 << min(count - 1, 5)))
    }

    /// Records a pass that worked, ending a run of failures if there was one.
    func succeeded() {
        let ended = failures.withLock { count in
            defer { count = 0 }
            return count
        }
        if ended > 0 { logger.notice("\(loop) resumed", metadata: ["failedPasses": "\(ended)"]) }
    }
}
