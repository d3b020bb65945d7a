import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A self-signed server certificate for `localhost` and `127.0.0.1`, made in-process for TLS tests.
///
/// ```swift
/// let tls = try TestCertificate.make().serverTLSConfiguration()
/// let app = Application(router: router, server: try .http2Upgrade(tlsConfiguration: tls))
/// ```
struct TestCertificate: Sendable {
    /// The certificate, PEM-encoded.
    let certificatePEM: String
    /// Its P-256 private key, PEM-encoded (PKCS #8).
    let privateKeyPEM: String

    /// Makes a new key pair and a certificate valid from an hour ago until a day from now.
    /// - Returns: The certificate and its private key.
    static func make() throws -> TestCertificate {
        let privateKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName {
            OrganizationName("eip-broker tests")
            CommonName("localhost")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-60 * 60),
            notValidAfter: now.addingTimeInterval(24 * 60 * 60),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: privateKey
        )
        return TestCertificate(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: try privateKey.serializeAsPEM().pemString
        )
    }

    /// A NIOSSL server configuration presenting this certificate.
    /// - Returns: `TLSConfiguration.makeServerConfiguration` with this certificate and key.
    func serverTLSConfiguration() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(self.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem))
        )
    }
}
