public import EIPCloud
import Synchronization

extension SimulatedCloud {
    /// Failures to inject into a ``SimulatedCloud`` and the count of calls it received: one object
    /// shared between the clouds under test and the test that scripts them.
    ///
    /// Scripted failures (``failNext(_:count:with:)``) come first, then lost responses
    /// (``dropResponseNext(_:count:)``), then random failures (``failRandomly(_:probability:with:)``).
    /// A failure is thrown before the call changes anything; a lost response is thrown after the
    /// change is committed, as when the network drops the cloud's answer.
    ///
    /// ```swift
    /// let faults = SimulatedCloud.Faults(seed: 7)
    /// faults.failNext(.associate, count: 2, with: SimulatedCloud.Faults.throttling)
    /// faults.failRandomly(.describe, probability: 0.1)
    /// #expect(faults.calls(of: .associate) == 0)
    /// ```
    public final class Faults: Sendable {
        /// A 5xx answer: `ServiceUnavailable`, kind `.unavailable`.
        public static let serviceUnavailable = CloudError(
            .unavailable, code: "ServiceUnavailable", message: "The request has failed due to a temporary failure of the server."
        )
        /// A rate limit answer: `Throttling.User`, kind `.throttled`.
        public static let throttling = CloudError(
            .throttled, code: "Throttling.User", message: "Request was denied due to user flow control.", retryAfterMilliseconds: 1000
        )

        /// What a call admitted by ``admit(_:account:)`` must do with its response.
        enum Admission: Sendable {
            case answer
            case loseResponse
        }

        struct CallKey: Hashable {
            var account: String
            var action: Action
        }

        struct State {
            var scripted: [Action: [CloudError]] = [:]
            var lostResponses: [Action: Int] = [:]
            var random: [Action: (probability: Double, error: CloudError)] = [:]
            var calls: [CallKey: Int] = [:]
            var generator: SplitMix64
        }

        private let state: Mutex<State>

        /// - Parameter seed: seeds the generator behind random failures, for repeatable runs; a
        ///   random seed when `nil`.
        public init(seed: UInt64? = nil) {
            state = Mutex(State(generator: SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))))
        }

        /// Makes the next `count` calls of `action` fail with `error` before they change anything.
        public func failNext(_ action: Action, count: Int = 1, with error: CloudError = Faults.serviceUnavailable) {
            state.withLock { $0.scripted[action, default: []] += Array(repeating: error, count: max(count, 0)) }
        }

        /// Makes the next `count` calls of `action` do their work and commit it, then throw
        /// `.unavailable` (`ServiceUnavailable`, "the response was lost") instead of answering.
        public func dropResponseNext(_ action: Action, count: Int = 1) {
            state.withLock { $0.lostResponses[action, default: 0] += max(count, 0) }
        }

        /// Makes each call of `action` fail with `error` with this probability (0 turns it off).
        public func failRandomly(_ action: Action, probability: Double, with error: CloudError = Faults.serviceUnavailable) {
            state.withLock {
                $0.random[action] = probability > 0 ? (min(probability, 1), error) : nil
            }
        }

        /// Forgets every injected failure; the call counts stay.
        public func clear() {
            state.withLock {
                $0.scripted = [:]
                $0.lostResponses = [:]
                $0.random = [:]
            }
        }

        /// How many calls of `action` the clouds sharing these faults received, for one account or
        /// for all of them. Calls that failed by injection count too.
        public func calls(of action: Action, account: String? = nil) -> Int {
            state.withLock { state in
                state.calls.reduce(0) { sum, entry in
                    entry.key.action == action && (account == nil || entry.key.account == account) ? sum + entry.value : sum
                }
            }
        }

        /// Counts a call and decides its fate: throws the failure to inject, or says whether the
        /// response is to be lost after the work is done.
        func admit(_ action: Action, account: String) throws(CloudError) -> Admission {
            let outcome: Result<Admission, CloudError> = state.withLock { state in
                state.calls[CallKey(account: account, action: action), default: 0] += 1
                if var queue = state.scripted[action], !queue.isEmpty {
                    let error = queue.removeFirst()
                    state.scripted[action] = queue.isEmpty ? nil : queue
                    return .failure(error)
                }
                if let lost = state.lostResponses[action], lost > 0 {
                    state.lostResponses[action] = lost > 1 ? lost - 1 : nil
                    return .success(.loseResponse)
                }
                if let random = state.random[action], state.generator.nextUnitInterval() < random.probability {
                    return .failure(random.error)
                }
                return .success(.answer)
            }
            return try outcome.get()
        }
    }
}
