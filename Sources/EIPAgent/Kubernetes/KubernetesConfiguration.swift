public import Foundation

/// Where the API server is and how to authenticate to it: the server URL, credentials, TLS and
/// the default namespace.
///
/// Made by ``inCluster(paths:environment:)`` inside a pod, or ``kubeconfig(atPath:context:)``
/// for development, or by hand (tests point it at a fake server):
///
/// ```swift
/// let configuration = try KubernetesConfiguration.inCluster()
/// let client = try KubernetesClient(configuration: configuration, logger: logger)
/// ```
///
/// The description shows the server and the kind of credentials, never a token or key.
public struct KubernetesConfiguration: Sendable, CustomStringConvertible {
    /// The API server, such as `https://10.96.0.1:443`; a path prefix is kept.
    public var server: URL
    public var credentials: KubernetesCredentials
    public var tls: KubernetesTLS
    /// The namespace of the agent itself (in-cluster) or of the kubeconfig context, if known.
    public var namespace: String?

    public init(server: URL, credentials: KubernetesCredentials = .none, tls: KubernetesTLS = KubernetesTLS(), namespace: String? = nil) {
        self.server = server
        self.credentials = credentials
        self.tls = tls
        self.namespace = namespace
    }

    public var description: String {
        "server \(server.absoluteString), credentials: \(credentials), TLS: \(tls), namespace: \(namespace ?? "-")"
    }

    /// The kubeconfig named by `KUBECONFIG` (its first path) when set, else the in-cluster
    /// configuration: what `eip-agent` uses when given neither.
    public static func automatic(
        paths: InClusterPaths = InClusterPaths(), environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubernetesConfiguration {
        if let list = environment["KUBECONFIG"], let first = list.split(separator: ":").first, !first.isEmpty {
            return try kubeconfig(atPath: String(first))
        }
        return try inCluster(paths: paths, environment: environment)
    }

    static func readFile(_ path: String, what: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubernetesConfigurationError(.unreadableFile, "cannot read the \(what) at \(path)")
        }
    }
}
