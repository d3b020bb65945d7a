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
/// them). Only which one matters here: ``Pod/hasExited`` asks whether every container has
/// terminated, so what each state carries (reasons, exit codes) is not read.
public struct ContainerState: Sendable, Hashable, Codable {
    /// The container has not started, or is waiting to start again.
    public var waiting: Reached?
    /// The container is running.
    public var running: Reached?
    /// The container has exited.
    public var terminated: Reached?

    public init(waiting: Reached? = nil, running: Reached? = nil, terminated: Reached? = nil) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }

    /// A state the container is in; its details are not decoded.
    public struct Reached: Sendable, Hashable, Codable {
        public init() {}
    }
}
