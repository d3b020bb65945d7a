/// The configuration to reach the API server could not be made: not in a cluster, a file is
/// missing or malformed, or a kubeconfig asks for something this client does not do.
///
/// Messages name files, keys and contexts, never a token or key.
public struct KubernetesConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notInCluster, unreadableFile, malformedKubeconfig, unknownContext, unsupportedAuthentication
            case invalidServer, invalidCertificate
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// `KUBERNETES_SERVICE_HOST` or `KUBERNETES_SERVICE_PORT` is not set.
        public static let notInCluster = Code(.notInCluster)
        /// A token, certificate, key or kubeconfig file could not be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// The kubeconfig is not valid JSON or YAML of the supported subset, or lacks a field.
        public static let malformedKubeconfig = Code(.malformedKubeconfig)
        /// The context, or the cluster or user it names, is not in the kubeconfig.
        public static let unknownContext = Code(.unknownContext)
        /// exec plugins, auth providers and basic auth are not supported.
        public static let unsupportedAuthentication = Code(.unsupportedAuthentication)
        /// The server is not an `http` or `https` URL.
        public static let invalidServer = Code(.invalidServer)
        /// A certificate or private key is not valid PEM.
        public static let invalidCertificate = Code(.invalidCertificate)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Kubernetes configuration error (\(code)): \(message)" }
}
