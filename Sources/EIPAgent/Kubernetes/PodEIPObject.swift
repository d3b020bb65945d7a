public import EIPCore

/// A `PodEIP` object (`podeips.alibabacloud.com/v1beta1`): metadata plus EIPCore's
/// ``EIPCore/PodEIPSpec`` and ``EIPCore/PodEIPStatus``.
///
/// The CRD has a status subresource: ``KubernetesClient/create(_:)`` and
/// ``KubernetesClient/update(_:)`` ignore `status`; write it with
/// ``KubernetesClient/updateStatus(_:)`` or a merge patch of the `status` subresource.
///
/// ```swift
/// var object = PodEIPObject(namespace: "default", name: "web-0", podEIP: PodEIP(lease: lease))
/// object.metadata.finalizers = [PodEIP.finalizer]
/// object = try await client.create(object)
/// object.status = PodEIP(lease: lease).status
/// object = try await client.updateStatus(object)
/// ```
public struct PodEIPObject: KubernetesObject, Hashable {
    public static let resource = KubernetesResource(
        group: PodEIP.group, version: PodEIP.version, plural: PodEIP.plural, kind: PodEIP.kind
    )

    public var metadata: ObjectMeta
    public var spec: PodEIPSpec
    public var status: PodEIPStatus

    public init(metadata: ObjectMeta, spec: PodEIPSpec, status: PodEIPStatus = PodEIPStatus()) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// A new PodEIP named `name` in `namespace` showing `podEIP`.
    public init(namespace: String, name: String, podEIP: PodEIP) {
        self.init(metadata: ObjectMeta(name: name, namespace: namespace), spec: podEIP.spec, status: podEIP.status)
    }

    /// The spec and status as EIPCore's value.
    public var podEIP: PodEIP { PodEIP(spec: spec, status: status) }

    enum CodingKeys: String, CodingKey { case metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decode(PodEIPSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(PodEIPStatus.self, forKey: .status) ?? PodEIPStatus()
    }
}
