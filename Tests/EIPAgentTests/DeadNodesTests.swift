import EIPAgent
import Testing

/// The rule of which nodes are dead, on durations the test gives.
@Suite("Dead nodes")
struct DeadNodesTests {
    static func node(_ name: String, ready: Bool) -> Node {
        Node(
            metadata: ObjectMeta(name: name),
            status: NodeStatus(conditions: [NodeCondition(type: "Ready", status: ready ? "True" : "Unknown")]))
    }

    @Test func aNodeGoneFromTheAPIIsDeadAtOnceAndAReadyOneNever() {
        var dead = DeadNodes(period: .seconds(300))
        dead.observe([Self.node("up", ready: true)], at: .seconds(10))
        #expect(dead.isDead("gone"))
        #expect(!dead.isDead("up"))
        dead.observe([Self.node("up", ready: true)], at: .seconds(100_000))
        #expect(!dead.isDead("up"))
    }

    @Test func aNodeNotReadyIsDeadOnlyAfterAWholePeriodAndReadyAgainStartsOver() {
        var dead = DeadNodes(period: .seconds(300))
        dead.observe([Self.node("n", ready: false)], at: .seconds(1000))
        #expect(!dead.isDead("n"))
        dead.observe([Self.node("n", ready: false)], at: .seconds(1299))
        #expect(!dead.isDead("n"))
        dead.observe([Self.node("n", ready: false)], at: .seconds(1300))
        #expect(dead.isDead("n"))
        // Back to Ready, then not ready again: the period counts from the new silence.
        dead.observe([Self.node("n", ready: true)], at: .seconds(1301))
        #expect(!dead.isDead("n"))
        dead.observe([Self.node("n", ready: false)], at: .seconds(1400))
        dead.observe([Self.node("n", ready: false)], at: .seconds(1650))
        #expect(!dead.isDead("n"))
        dead.observe([Self.node("n", ready: false)], at: .seconds(1700))
        #expect(dead.isDead("n"))
    }

    @Test func aNodeWithoutAReadyConditionIsNotReady() {
        #expect(!Node(metadata: ObjectMeta(name: "new")).isReady)
        #expect(Self.node("n", ready: true).isReady)
    }
}
