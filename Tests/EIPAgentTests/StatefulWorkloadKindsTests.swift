import EIPAgent
import Testing

/// Which pods keep TTL and Never: those whose controller is a StatefulSet or an added kind,
/// compared without case, as Terway compares its stateful workload kinds.
@Suite struct StatefulWorkloadKindsTests {
    private func pod(owners: [OwnerReference]) -> Pod {
        Pod(metadata: ObjectMeta(name: "p", namespace: "default", ownerReferences: owners))
    }

    private func owner(_ kind: String, controller: Bool? = true) -> OwnerReference {
        OwnerReference(apiVersion: "apps/v1", kind: kind, name: "o", uid: "u", controller: controller)
    }

    @Test func theControllersKindDecides() {
        let kinds = StatefulWorkloadKinds(adding: [" GameServerSet", "", "statefulset", "AdvancedStatefulSet "])
        #expect(kinds.names == ["StatefulSet", "GameServerSet", "AdvancedStatefulSet"])
        #expect(kinds.owns(pod(owners: [owner("StatefulSet")])))
        #expect(kinds.owns(pod(owners: [owner("gameserverset")])))
        #expect(!kinds.owns(pod(owners: [owner("ReplicaSet")])))
        #expect(!kinds.owns(pod(owners: [])))
        // An owner that is not the controller does not make a pod stateful.
        #expect(!kinds.owns(pod(owners: [owner("StatefulSet", controller: nil), owner("ReplicaSet")])))
        #expect(StatefulWorkloadKinds().owns(pod(owners: [owner("StatefulSet")])))
        #expect(!StatefulWorkloadKinds().owns(pod(owners: [owner("GameServerSet")])))
    }
}
