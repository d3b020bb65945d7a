extension KubernetesClient {
    /// Applies `patch` to the metadata of the object `name` as a JSON merge patch: the way the
    /// agent sets `k8s.aliyun.com/allocated-eipAddress` on a pod and changes PodEIP finalizers.
    ///
    /// ```swift
    /// let pod = try await client.patchMetadata(
    ///     Pod.self, namespace: "default", name: "web-0",
    ///     MetadataPatch(annotations: [PodAnnotation.allocatedAddress: "39.102.0.7"]))
    /// ```
    public func patchMetadata<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String?, name: String, _ patch: MetadataPatch
    ) async throws -> Object {
        try await self.patch(Object.self, namespace: namespace, name: name, try .merge(patch))
    }

    /// Sets `conditions` in the status of pod `name` (the `status` subresource), each merged by
    /// its `type`: a condition of that type is replaced, one of a new type added, and every other
    /// condition (the kubelet's `Ready`, `PodScheduled`, ...) left as it is.
    ///
    /// This is a strategic merge patch (`application/strategic-merge-patch+json`), which the API
    /// server merges by `type` for pod conditions. A JSON merge patch would have to send the
    /// whole list, read beforehand, and could undo a condition the kubelet changed in between;
    /// the strategic merge needs no read and no resource version, and cannot race.
    ///
    /// ```swift
    /// let pod = try await client.patchPodConditions(namespace: "default", name: "web-0", [
    ///     PodCondition(type: PodAnnotation.readinessGate, status: "True",
    ///                  reason: PodAnnotation.readinessGateReason, lastTransitionTime: Date())
    /// ])
    /// ```
    public func patchPodConditions(namespace: String, name: String, _ conditions: [PodCondition]) async throws -> Pod {
        let body = PodStatusPatch(status: PodStatusPatch.Status(conditions: conditions))
        return try await patch(Pod.self, namespace: namespace, name: name, try .strategicMerge(body), subresource: "status")
    }
}

/// `{"status":{"conditions":[...]}}`.
struct PodStatusPatch: Encodable {
    struct Status: Encodable {
        var conditions: [PodCondition]
    }

    var status: Status
}
