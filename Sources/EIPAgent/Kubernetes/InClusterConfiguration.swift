public import Foundation

/// Where a pod finds its service account: the token, the cluster's CA bundle and the namespace.
/// Tests point these at a temporary directory.
public struct InClusterPaths: Sendable, Hashable {
    public var token: String
    public var certificateAuthority: String
    public var namespace: String

    /// The standard mount, `/var/run/secrets/kubernetes.io/serviceaccount`, or `directory`.
    public init(directory: String = "/var/run/secrets/kubernetes.io/serviceaccount") {
        self.token = directory + "/token"
        self.certificateAuthority = directory + "/ca.crt"
        self.namespace = directory + "/namespace"
    }
}

extension KubernetesConfiguration {
    /// The configuration of a pod's service account: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
    /// trusting only `ca.crt`, authenticating with the token file (read again when older than
    /// `tokenRefreshInterval`, as the kubelet rotates it), in the namespace of the `namespace` file.
    /// - Parameters:
    ///   - paths: The service-account files.
    ///   - environment: Where `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT` are read.
    ///   - tokenRefreshInterval: How old the token in memory may get before it is read again.
    /// - Throws: ``KubernetesConfigurationError`` when not in a cluster or a file cannot be read.
    public static func inCluster(
        paths: InClusterPaths = InClusterPaths(), environment: [String: String] = ProcessInfo.processInfo.environment,
        tokenRefreshInterval: Duration = .seconds(60)
    ) throws -> KubernetesConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubernetesConfigurationError(
                .notInCluster, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)"
            )
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard let server = URL(string: "https://\(authority)") else {
            throw KubernetesConfigurationError(.invalidServer, "https://\(authority) is not a URL")
        }
        // Fail now, not on the first request, when the token is missing.
        _ = try readFile(paths.token, what: "service account token")
        let certificateAuthority = try readFile(paths.certificateAuthority, what: "cluster CA bundle")
        let namespace = (try? readFile(paths.namespace, what: "namespace file"))
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return KubernetesConfiguration(
            server: server,
            credentials: .tokenFile(paths.token, refreshInterval: tokenRefreshInterval),
            tls: KubernetesTLS(certificateAuthorityPEM: certificateAuthority),
            namespace: namespace?.isEmpty == false ? namespace : nil
        )
    }
}
