public import Foundation

/// An Event (core/v1), the way the agent tells people about a pod: a Warning naming a bad
/// annotation, a Normal one for progress. `kubectl describe pod` shows them.
///
/// ```swift
/// let event = KubernetesEvent(
///     regarding: pod, type: .warning, reason: "InvalidAnnotation",
///     message: "k8s.aliyun.com/eip-bandwidth: must be a whole number of Mbps", component: "eip-agent")
/// _ = try await client.create(event)
/// ```
public struct KubernetesEvent: KubernetesObject, Hashable {
    public static let resource = KubernetesResource(group: "", version: "v1", plural: "events", kind: "Event")

    public var metadata: ObjectMeta
    /// The object the event is about.
    public var involvedObject: ObjectReference
    /// A short CamelCase reason, such as `AddressInUse`.
    public var reason: String?
    public var message: String?
    public var type: EventType?
    public var source: EventSource?
    public var firstTimestamp: Date?
    public var lastTimestamp: Date?
    public var count: Int?
    public var reportingComponent: String?
    public var reportingInstance: String?
    /// What was done or failed, such as `Allocate`.
    public var action: String?

    public init(
        metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil, message: String? = nil,
        type: EventType? = nil, source: EventSource? = nil, firstTimestamp: Date? = nil, lastTimestamp: Date? = nil,
        count: Int? = nil, reportingComponent: String? = nil, reportingInstance: String? = nil, action: String? = nil
    ) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = source
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.count = count
        self.reportingComponent = reportingComponent
        self.reportingInstance = reportingInstance
        self.action = action
    }

    /// A new event about `pod`, in the pod's namespace, named as client-go names them
    /// (`<pod>.<nanoseconds in hex>`), seen once at `time`.
    /// - Parameters:
    ///   - component: Who reports it, such as `eip-agent`.
    ///   - host: The node or instance reporting it, if any.
    public init(
        regarding pod: Pod, type: EventType, reason: String, message: String, component: String, host: String? = nil,
        action: String? = nil, time: Date = Date()
    ) {
        let nanoseconds = UInt64(max(0, time.timeIntervalSince1970) * 1_000_000_000)
        self.init(
            metadata: ObjectMeta(name: "\(pod.metadata.name).\(String(nanoseconds, radix: 16))", namespace: pod.metadata.namespace),
            involvedObject: ObjectReference(
                apiVersion: Pod.resource.apiVersion, kind: Pod.resource.kind, namespace: pod.metadata.namespace,
                name: pod.metadata.name, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion
            ),
            reason: reason, message: message, type: type, source: EventSource(component: component, host: host),
            firstTimestamp: time, lastTimestamp: time, count: 1, reportingComponent: component,
            reportingInstance: host ?? component, action: action
        )
    }

    enum CodingKeys: String, CodingKey {
        case metadata, involvedObject, reason, message, type, source, firstTimestamp, lastTimestamp, count
        case reportingComponent, reportingInstance, action
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            metadata: try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta(),
            involvedObject: try c.decodeIfPresent(ObjectReference.self, forKey: .involvedObject) ?? ObjectReference(),
            reason: try c.decodeIfPresent(String.self, forKey: .reason),
            message: try c.decodeIfPresent(String.self, forKey: .message),
            type: try c.decodeIfPresent(EventType.self, forKey: .type),
            source: try c.decodeIfPresent(EventSource.self, forKey: .source),
            firstTimestamp: try c.decodeKubernetesTime(forKey: .firstTimestamp),
            lastTimestamp: try c.decodeKubernetesTime(forKey: .lastTimestamp),
            count: try c.decodeIfPresent(Int.self, forKey: .count),
            reportingComponent: try c.decodeIfPresent(String.self, forKey: .reportingComponent),
            reportingInstance: try c.decodeIfPresent(String.self, forKey: .reportingInstance),
            action: try c.decodeIfPresent(String.self, forKey: .action)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(involvedObject, forKey: .involvedObject)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(type, forKey: .type)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encodeKubernetesTime(firstTimestamp, forKey: .firstTimestamp)
        try c.encodeKubernetesTime(lastTimestamp, forKey: .lastTimestamp)
        try c.encodeIfPresent(count, forKey: .count)
        try c.encodeIfPresent(reportingComponent, forKey: .reportingComponent)
        try c.encodeIfPresent(reportingInstance, forKey: .reportingInstance)
        try c.encodeIfPresent(action, forKey: .action)
    }
}

/// `Normal` or `Warning` (the only two the API server accepts), as an open set.
public struct EventType: RawRepresentable, Sendable, Hashable, Codable {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let normal = EventType(rawValue: "Normal")
    public static let warning = EventType(rawValue: "Warning")

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Which component (and host) reported an event.
public struct EventSource: Sendable, Hashable, Codable {
    public var component: String?
    public var host: String?

    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// A reference to an object (`core/v1.ObjectReference`), the subject of an event.
public struct ObjectReference: Sendable, Hashable, Codable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(
        apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil,
        resourceVersion: String? = nil, fieldPath: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}
