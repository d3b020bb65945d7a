import EIPCore
import Synchronization

/// Failures the emulator injects at the HTTP level, on top of the simulated cloud's own
/// ``SimulatedCloud/Faults``: latency, `ServiceUnavailable` (503) before a call changes anything,
/// a response lost after the change was committed (also 503), and per-action throttling
/// (`Throttling.User`).
///
/// Change them in-process through ``CloudEmulator/faults``, or over HTTP with
/// `POST /_emulator/faults` and a JSON ``Settings`` body. Actions are named as in the API
/// (`AllocateEipAddress`).
///
/// ```swift
/// emulator.faults.dropResponseNext("AllocateEipAddress")
/// emulator.faults.throttle("AllocateEipAddress", ThrottleLimit(perMinute: 120))
/// emulator.faults.failRate = 0.1
/// ```
public final class EmulatorFaults: Sendable {
    /// The JSON form of the faults, for `POST /_emulator/faults` (every field optional; absent
    /// ones stay as they are) and `GET /_emulator/faults`.
    ///
    /// `{"latencyMs": 50, "failRate": 0.1, "dropResponseRate": 0, "throttlePerMinute":
    /// {"AllocateEipAddress": 120}, "throttleBurst": {"AllocateEipAddress": 2}, "failNext":
    /// {"ReleaseEipAddress": 1}, "dropResponseNext": {"AllocateEipAddress": 1}, "clear": true}`.
    /// A `throttlePerMinute` of 0 lifts that action's limit; `clear` first turns every fault off.
    public struct Settings: Sendable, Hashable, Codable {
        public var latencyMs: Int?
        public var failRate: Double?
        public var dropResponseRate: Double?
        public var throttlePerMinute: [String: Int]?
        public var throttleBurst: [String: Int]?
        public var failNext: [String: Int]?
        public var dropResponseNext: [String: Int]?
        public var clear: Bool?

        public init(
            latencyMs: Int? = nil, failRate: Double? = nil, dropResponseRate: Double? = nil, throttlePerMinute: [String: Int]? = nil,
            throttleBurst: [String: Int]? = nil, failNext: [String: Int]? = nil, dropResponseNext: [String: Int]? = nil, clear: Bool? = nil
        ) {
            self.latencyMs = latencyMs
            self.failRate = failRate
            self.dropResponseRate = dropResponseRate
            self.throttlePerMinute = throttlePerMinute
            self.throttleBurst = throttleBurst
            self.failNext = failNext
            self.dropResponseNext = dropResponseNext
            self.clear = clear
        }
    }

    /// What to do with one admitted call.
    enum Admission: Sendable, Equatable {
        /// Refuse it with `ServiceUnavailable` before it changes anything.
        case fail
        /// Run it, then answer `ServiceUnavailable` as if the response was lost.
        case dropResponse
        /// Run it and answer.
        case answer
    }

    private struct State {
        var latency: Duration = .zero
        var failRate: Double = 0
        var dropResponseRate: Double = 0
        var failNext: [String: Int] = [:]
        var dropResponseNext: [String: Int] = [:]
    }

    private let state: Mutex<State>
    let throttle: ActionThrottle

    /// - Parameters:
    ///   - latency: added before every API call is answered.
    ///   - failRate: the share of API calls refused with 503 (0...1).
    ///   - dropResponseRate: the share of API calls whose response is lost after the change (0...1).
    ///   - throttles: per-action rate limits.
    public init(latency: Duration = .zero, failRate: Double = 0, dropResponseRate: Double = 0, throttles: [String: ThrottleLimit] = [:]) {
        state = Mutex(State(latency: latency, failRate: Self.clamp(failRate), dropResponseRate: Self.clamp(dropResponseRate)))
        throttle = ActionThrottle(limits: throttles)
    }

    /// Added before every API call is answered.
    public var latency: Duration {
        get { state.withLock { $0.latency } }
        set { state.withLock { $0.latency = max(newValue, .zero) } }
    }

    /// The share of API calls refused with `ServiceUnavailable` before they change anything (0...1).
    public var failRate: Double {
        get { state.withLock { $0.failRate } }
        set { state.withLock { $0.failRate = Self.clamp(newValue) } }
    }

    /// The share of API calls that change the cloud and then answer `ServiceUnavailable` (0...1).
    public var dropResponseRate: Double {
        get { state.withLock { $0.dropResponseRate } }
        set { state.withLock { $0.dropResponseRate = Self.clamp(newValue) } }
    }

    /// Refuses the next `count` calls of `action` with `ServiceUnavailable` (503).
    public func failNext(_ action: String, count: Int = 1) {
        state.withLock { $0.failNext[action, default: 0] += max(count, 0) }
    }

    /// Lets the next `count` calls of `action` make their change, then answers them with
    /// `ServiceUnavailable` (503), as when the response is lost on the way back.
    public func dropResponseNext(_ action: String, count: Int = 1) {
        state.withLock { $0.dropResponseNext[action, default: 0] += max(count, 0) }
    }

    /// Limits `action` to `limit` (`Throttling.User` beyond it), or lifts its limit with `nil`.
    public func throttle(_ action: String, _ limit: ThrottleLimit?) {
        throttle.setLimit(limit, for: action)
    }

    /// The per-action limits in force.
    public var throttles: [String: ThrottleLimit] { throttle.limits }

    /// Turns every fault off, throttles included.
    public func clear() {
        state.withLock { $0 = State() }
        for action in throttle.limits.keys { throttle.setLimit(nil, for: action) }
    }

    /// Applies the fields `settings` sets (after clearing everything when it says `clear`).
    public func apply(_ settings: Settings) {
        if settings.clear == true { clear() }
        if let milliseconds = settings.latencyMs { latency = .milliseconds(max(milliseconds, 0)) }
        if let rate = settings.failRate { failRate = rate }
        if let rate = settings.dropResponseRate { dropResponseRate = rate }
        for (action, perMinute) in settings.throttlePerMinute ?? [:] {
            throttle(action, perMinute > 0 ? ThrottleLimit(perMinute: perMinute, burst: settings.throttleBurst?[action]) : nil)
        }
        for (action, burst) in settings.throttleBurst ?? [:] where settings.throttlePerMinute?[action] == nil {
            if let current = throttles[action] { throttle(action, ThrottleLimit(perMinute: current.perMinute, burst: burst)) }
        }
        for (action, count) in settings.failNext ?? [:] { failNext(action, count: count) }
        for (action, count) in settings.dropResponseNext ?? [:] { dropResponseNext(action, count: count) }
    }

    /// The faults in force, in their JSON form.
    public var settings: Settings {
        let current = state.withLock { $0 }
        let limits = throttles
        return Settings(
            latencyMs: Int(current.latency.wholeMilliseconds),
            failRate: current.failRate, dropResponseRate: current.dropResponseRate,
            throttlePerMinute: limits.mapValues(\.perMinute), throttleBurst: limits.mapValues(\.burst),
            failNext: current.failNext, dropResponseNext: current.dropResponseNext
        )
    }

    /// Decides the fate of one call of `action`: scripted failures first, then scripted lost
    /// responses, then the random ones.
    func admit(_ action: String) -> Admission {
        state.withLock { state in
            if let count = state.failNext[action], count > 0 {
                state.failNext[action] = count > 1 ? count - 1 : nil
                return .fail
            }
            if let count = state.dropResponseNext[action], count > 0 {
                state.dropResponseNext[action] = count > 1 ? count - 1 : nil
                return .dropResponse
            }
            if state.failRate > 0, Double.random(in: 0..<1) < state.failRate { return .fail }
            if state.dropResponseRate > 0, Double.random(in: 0..<1) < state.dropResponseRate { return .dropResponse }
            return .answer
        }
    }

    private static func clamp(_ rate: Double) -> Double {
        rate.isNaN ? 0 : min(max(rate, 0), 1)
    }
}
