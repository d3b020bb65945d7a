import EIPAgent
import Foundation
import Testing

@testable import EIPTestSupport

/// In-cluster configuration (service-account files, a rotated token, the CA over real TLS) and
/// kubeconfig files in JSON and in the YAML `kubectl` writes.
@Suite struct KubernetesConfigurationTests {
    /// A fresh temporary folder, removed after `body`.
    private func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    @Test func inClusterReadsTheServiceAccountFilesAndEnvironment() async throws {
        let certificate = try TestCertificate.make()
        try await withTemporaryDirectory { directory in
            try write("token-one\n", to: directory + "/token")
            try write(certificate.certificatePEM, to: directory + "/ca.crt")
            try write("eip-agent\n", to: directory + "/namespace")
            let paths = InClusterPaths(directory: directory)

            let configuration = try KubernetesConfiguration.inCluster(
                paths: paths, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
            )
            #expect(configuration.server.absoluteString == "https://10.96.0.1:443")
            #expect(configuration.namespace == "eip-agent")
            #expect(configuration.tls.certificateAuthorityPEM == Data(certificate.certificatePEM.utf8))
            #expect(!configuration.tls.insecureSkipTLSVerify)
            #expect(!configuration.description.contains("token-one"))
            #expect(configuration.credentials.description.contains(directory + "/token"))

            let ipv6 = try KubernetesConfiguration.inCluster(
                paths: paths, environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"]
            )
            #expect(ipv6.server.absoluteString == "https://[fd00::1]:6443")

            let outside = try #require(throws: KubernetesConfigurationError.self) {
                try KubernetesConfiguration.inCluster(paths: paths, environment: [:])
            }
            #expect(outside.code == .notInCluster)

            try FileManager.default.removeItem(atPath: directory + "/token")
            let noToken = try #require(throws: KubernetesConfigurationError.self) {
                try KubernetesConfiguration.inCluster(
                    paths: paths, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
                )
            }
            #expect(noToken.code == .unreadableFile)
        }
    }

    /// Against a fake API server over TLS (h2 by ALPN) trusting only the `ca.crt` given: the
    /// token is read again after a `401` when the kubelet has rotated it, and as it ages.
    @Test func inClusterClientTrustsTheCAAndRereadsARotatedToken() async throws {
        try await FakeKubernetes.with(tls: true) { fake in
            try await withTemporaryDirectory { directory in
                let certificate = try #require(fake.certificate)
                try write("token-one", to: directory + "/token")
                try write(certificate.certificateAuthorityPEM, to: directory + "/ca.crt")
                try write("eip-agent", to: directory + "/namespace")
                let port = try #require(URL(string: fake.url)?.port)
                let environment = ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(port)"]
                fake.withStore { $0.requiredToken = "token-one" }
                try fake.createPod(Pod(metadata: ObjectMeta(name: "web-0", namespace: "default")))

                // A token an hour old is still the one in memory: only the 401 makes it re-read.
                let configuration = try KubernetesConfiguration.inCluster(
                    paths: InClusterPaths(directory: directory), environment: environment, tokenRefreshInterval: .seconds(3600)
                )
                try await withKubernetesClient(configuration, logs: fake.logs) { client in
                    #expect(try await client.get(Pod.self, namespace: "default", name: "web-0").metadata.name == "web-0")

                    try write("token-two", to: directory + "/token")
                    fake.withStore { $0.requiredToken = "token-two" }
                    #expect(try await client.get(Pod.self, namespace: "default", name: "web-0").metadata.name == "web-0")
                    let sent = fake.requests.suffix(2).map(\.authorization)
                    #expect(sent == ["Bearer token-one", "Bearer token-two"])
                }

                // With no refresh interval the file is read for every request: no 401 needed.
                let eager = try KubernetesConfiguration.inCluster(
                    paths: InClusterPaths(directory: directory), environment: environment, tokenRefreshInterval: .zero
                )
                try await withKubernetesClient(eager, logs: fake.logs) { client in
                    _ = try await client.get(Pod.self, namespace: "default", name: "web-0")
                    try write("token-three", to: directory + "/token")
                    fake.withStore { $0.requiredToken = "token-three" }
                    let before = fake.requests.count
                    _ = try await client.get(Pod.self, namespace: "default", name: "web-0")
                    #expect(fake.requests.dropFirst(before).map(\.authorization) == ["Bearer token-three"])
                }

                #expect(!fake.logs.text.contains("token-one"))
                #expect(!fake.logs.text.contains("token-two"))
            }
        }
    }

    @Test func kubeconfigInKubectlsYAML() async throws {
        let certificate = try TestCertificate.make()
        let ca = Data(certificate.certificatePEM.utf8).base64EncodedString()
        let key = Data(certificate.privateKeyPEM.utf8).base64EncodedString()
        try await withTemporaryDirectory { directory in
            try write(certificate.certificatePEM, to: directory + "/client.crt")
            let yaml = """
                apiVersion: v1
                clusters:
                - cluster:
                    certificate-authority-data: \(ca)
                    server: https://127.0.0.1:6443
                  name: dev
                - cluster:
                    insecure-skip-tls-verify: true
                    server: "https://kind.example:443"   # quoted, with a comment
                  name: kind
                contexts:
                - context:
                    cluster: dev
                    namespace: team-a
                    user: dev-user
                  name: dev
                - context:
                    cluster: kind
                    user: cert-user
                  name: certs
                current-context: dev
                kind: Config
                preferences: {}
                users:
                - name: dev-user
                  user:
                    token: 'abc.def-secret'
                - name: cert-user
                  user:
                    client-certificate: client.crt
                    client-key-data: \(key)
                """
            try write(yaml, to: directory + "/config")

            let current = try KubernetesConfiguration.kubeconfig(atPath: directory + "/config")
            #expect(current.server.absoluteString == "https://127.0.0.1:6443")
            #expect(current.namespace == "team-a")
            #expect(current.tls.certificateAuthorityPEM == Data(certificate.certificatePEM.utf8))
            #expect(current.credentials.description == "bearer token (redacted)")
            #expect(!current.description.contains("abc.def-secret"))

            let certs = try KubernetesConfiguration.kubeconfig(atPath: directory + "/config", context: "certs")
            #expect(certs.server.absoluteString == "https://kind.example:443")
            #expect(certs.tls.insecureSkipTLSVerify)
            #expect(certs.tls.clientCertificatePEM == Data(certificate.certificatePEM.utf8))
            #expect(certs.tls.clientKeyPEM == Data(certificate.privateKeyPEM.utf8))
            #expect(certs.credentials.description == "none")
            #expect(!certs.description.contains("PRIVATE KEY"))
            // The PEM material makes a client.
            try await withKubernetesClient(certs, logs: CapturedLogs()) { _ in }

            let unknown = try #require(throws: KubernetesConfigurationError.self) {
                try KubernetesConfiguration.kubeconfig(atPath: directory + "/config", context: "prod")
            }
            #expect(unknown.code == .unknownContext)
        }
    }

    @Test func kubeconfigInJSON() throws {
        let json = """
            {"apiVersion":"v1","kind":"Config","current-context":"ctx",
             "clusters":[{"name":"c","cluster":{"server":"http://127.0.0.1:8080","insecure-skip-tls-verify":false}}],
             "contexts":[{"name":"ctx","context":{"cluster":"c","user":"u","namespace":"ns"}}],
             "users":[{"name":"u","user":{"token":"json-token"}}]}
            """
        let configuration = try KubernetesConfiguration.kubeconfig(contents: json)
        #expect(configuration.server.absoluteString == "http://127.0.0.1:8080")
        #expect(configuration.namespace == "ns")
        #expect(configuration.tls.certificateAuthorityPEM == nil)
        #expect(!configuration.description.contains("json-token"))
    }

    @Test func kubeconfigRefusesWhatItCannotDo() throws {
        func failure(_ text: String) throws -> KubernetesConfigurationError {
            try #require(throws: KubernetesConfigurationError.self) { try KubernetesConfiguration.kubeconfig(contents: text) }
        }
        let exec = """
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1
            contexts:
            - name: x
              context: {"cluster": "c", "user": "u"}
            current-context: x
            users:
            - name: u
              user:
                exec:
                  command: aws
                  args:
                  - eks
                  - get-token
            """
        #expect(try failure(exec).code == .unsupportedAuthentication)
        #expect(try failure("current-context: x\nusers:\n- name: u\n  user:\n    token: |\n      abc\n").code == .malformedKubeconfig)
        #expect(try failure("clusters: []\ncontexts: []\n").code == .unknownContext)
        #expect(try failure("{not json").code == .malformedKubeconfig)
    }
}
