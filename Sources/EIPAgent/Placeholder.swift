// The in-cluster agent (being written): Kubernetes client and pod controller.
enum AgentPlaceholder {}
