public import Foundation
import NIOSSL

/// TLS settings for the API server: which CA to trust, whether to verify at all, and an optional
/// client certificate. PEM data is kept in memory, read once from files or inline `-data` fields.
///
/// The description never shows the private key.
public struct KubernetesTLS: Sendable, CustomStringConvertible {
    /// PEM certificates of the CAs to trust; `nil` trusts the system's roots.
    public var certificateAuthorityPEM: Data?
    /// Skip verification of the server's certificate (development only).
    public var insecureSkipTLSVerify: Bool
    /// PEM client certificate (chain), for certificate authentication.
    public var clientCertificatePEM: Data?
    /// PEM private key of ``clientCertificatePEM``.
    public var clientKeyPEM: Data?

    public init(
        certificateAuthorityPEM: Data? = nil, insecureSkipTLSVerify: Bool = false, clientCertificatePEM: Data? = nil,
        clientKeyPEM: Data? = nil
    ) {
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
    }

    public var description: String {
        var parts: [String] = []
        parts.append(certificateAuthorityPEM == nil ? "system roots" : "custom CA")
        if insecureSkipTLSVerify { parts.append("insecure-skip-tls-verify") }
        if clientCertificatePEM != nil { parts.append("client certificate (key redacted)") }
        return parts.joined(separator: ", ")
    }

    /// The NIOSSL client configuration: h2 and HTTP/1.1 offered by ALPN.
    func makeTLSConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificateAuthorityPEM {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificateAuthorityPEM)))
            } catch {
                throw KubernetesConfigurationError(.invalidCertificate, "the certificate authority is not valid PEM")
            }
        }
        if insecureSkipTLSVerify {
            tls.certificateVerification = .none
        }
        if let clientCertificatePEM {
            guard let clientKeyPEM else {
                throw KubernetesConfigurationError(.invalidCertificate, "a client certificate needs its private key")
            }
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(clientCertificatePEM)).map { .certificate($0) }
            } catch {
                throw KubernetesConfigurationError(.invalidCertificate, "the client certificate is not valid PEM")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(clientKeyPEM), format: .pem))
            } catch {
                throw KubernetesConfigurationError(.invalidCertificate, "the client key is not a valid PEM private key")
            }
        }
        return tls
    }
}
