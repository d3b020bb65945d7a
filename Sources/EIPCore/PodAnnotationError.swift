/// A pod annotation whose value breaks a rule: what the agent reports as a Warning Event on the
/// pod (and never crashes on).
///
/// `description` reads `annotation: rule (got 'value')`, for example
/// `k8s.aliyun.com/eip-bandwidth: must be a whole number of Mbps from 1 to 1000 (got '0')`.
public struct PodAnnotationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The annotation at fault, such as `k8s.aliyun.com/eip-bandwidth`.
    public var annotation: String
    /// The rule its value breaks, without the value.
    public var rule: String
    /// The value found (empty when the annotation is missing).
    public var value: String

    public init(annotation: String, rule: String, value: String) {
        self.annotation = annotation
        self.rule = rule
        self.value = value
    }

    /// `annotation: rule (got 'value')`, the value cut to 80 characters so a long one cannot flood
    /// an Event.
    public var description: String {
        let shown = value.count > 80 ? value.prefix(80) + "..." : Substring(value)
        return "\(annotation): \(rule) (got '\(shown)')"
    }
}
