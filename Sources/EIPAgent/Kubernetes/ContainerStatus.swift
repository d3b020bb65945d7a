/// The state of one of a pod's containers (`status.containerStatuses`), as the kubelet reports it.
public struct ContainerStatus: Sendable, Hashable, Codable {
    public var name: String
    public var state: ContainerState

    public init(name: String, state: ContainerState) {
        self.name = name
        self.state = state
    }

    enum CodingKeys: String, CodingKey { case name, state }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        state = try c.decodeIfPresent(ContainerState.self, forKey: .state) ?? ContainerState()
    }
}

/// Which of `waiting`, `running` and `terminated` a container is in (the kubelet sets one of
/// them), with the exit code once it has terminated.
public struct ContainerState: Sendable, Hashable, Codable {
    /// The container has not started, or is waiting to start again.
    public var waiting: Waiting?
    /// The container is running.
    public var running: Running?
    /// The container has exited.
    public var terminated: Terminated?

    public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }

    public struct Waiting: Sendable, Hashable, Codable {
        public var reason: String?
        public init(reason: String? = nil) { self.reason = reason }
    }

    public struct Running: Sendable, Hashable, Codable {
        public init() {}
    }

    public struct Terminated: Sendable, Hashable, Codable {
        public var exitCode: Int
        public var reason: String?

        public init(exitCode: Int, reason: String? = nil) {
            self.exitCode = exitCode
            self.reason = reason
        }
    }
}
