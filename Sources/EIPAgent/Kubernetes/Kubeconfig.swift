import Foundation

extension KubernetesConfiguration {
    /// The configuration of a context of the kubeconfig file at `path` (JSON, or YAML of the
    /// subset `kubectl config view --raw` writes; see ``KubeconfigYAML``).
    /// - Parameters:
    ///   - path: The kubeconfig file. Relative file names inside it are relative to its folder.
    ///   - context: The context to use; `nil` for its `current-context`.
    /// - Throws: ``KubernetesConfigurationError``.
    public static func kubeconfig(atPath path: String, context: String? = nil) throws -> KubernetesConfiguration {
        let data = try readFile(path, what: "kubeconfig")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try kubeconfig(contents: String(decoding: data, as: UTF8.self), context: context, baseDirectory: directory)
    }

    /// The configuration of a context of the kubeconfig `contents` (JSON or YAML).
    ///
    /// Supported: `token`, `tokenFile`, client certificate and key (inline `-data` in base64, or
    /// files), `certificate-authority(-data)`, `insecure-skip-tls-verify`, the context's namespace.
    /// Not supported, with an error that says so: `exec` plugins, `auth-provider`, basic auth.
    /// - Parameters:
    ///   - baseDirectory: The folder relative file names are resolved against.
    public static func kubeconfig(contents: String, context: String? = nil, baseDirectory: String? = nil) throws
        -> KubernetesConfiguration
    {
        let file = try KubeconfigFile.decode(contents)
        guard let contextName = context ?? file.currentContext, !contextName.isEmpty else {
            throw KubernetesConfigurationError(.unknownContext, "no context given and the kubeconfig has no current-context")
        }
        guard let selected = file.contexts.first(where: { $0.name == contextName })?.context else {
            throw KubernetesConfigurationError(.unknownContext, "context \"\(contextName)\" is not in the kubeconfig")
        }
        guard let cluster = file.clusters.first(where: { $0.name == selected.cluster })?.cluster else {
            throw KubernetesConfigurationError(
                .unknownContext, "cluster \"\(selected.cluster)\" of context \"\(contextName)\" is not in the kubeconfig")
        }
        let user: KubeconfigFile.User
        if let name = selected.user, !name.isEmpty {
            guard let found = file.users.first(where: { $0.name == name })?.user else {
                throw KubernetesConfigurationError(
                    .unknownContext, "user \"\(name)\" of context \"\(contextName)\" is not in the kubeconfig")
            }
            user = found
        } else {
            user = KubeconfigFile.User()
        }
        guard let server = URL(string: cluster.server), let scheme = server.scheme?.lowercased(), ["http", "https"].contains(scheme),
            server.host != nil
        else {
            throw KubernetesConfigurationError(.invalidServer, "cluster \"\(selected.cluster)\" has no http(s) server URL")
        }

        func resolve(_ path: String) -> String {
            guard let baseDirectory, !path.hasPrefix("/") else { return path }
            return baseDirectory + "/" + path
        }
        func material(inline: String?, file: String?, what: String) throws -> Data? {
            if let inline, !inline.isEmpty {
                guard let data = Data(base64Encoded: inline, options: .ignoreUnknownCharacters) else {
                    throw KubernetesConfigurationError(.malformedKubeconfig, "\(what) data is not base64")
                }
                return data
            }
            if let file, !file.isEmpty { return try readFile(resolve(file), what: what) }
            return nil
        }

        if user.exec || user.authProvider {
            throw KubernetesConfigurationError(
                .unsupportedAuthentication,
                "exec and auth-provider credentials are not supported: use a token (kubectl create token) or a client certificate"
            )
        }
        if user.username != nil || user.password != nil {
            throw KubernetesConfigurationError(.unsupportedAuthentication, "basic authentication is not supported")
        }
        let credentials: KubernetesCredentials
        if let token = user.token, !token.isEmpty {
            credentials = .bearerToken(token)
        } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            _ = try readFile(resolve(tokenFile), what: "token file")
            credentials = .tokenFile(resolve(tokenFile))
        } else {
            credentials = .none
        }
        let tls = KubernetesTLS(
            certificateAuthorityPEM: try material(
                inline: cluster.certificateAuthorityData, file: cluster.certificateAuthority, what: "certificate authority"
            ),
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            clientCertificatePEM: try material(
                inline: user.clientCertificateData, file: user.clientCertificate, what: "client certificate"),
            clientKeyPEM: try material(inline: user.clientKeyData, file: user.clientKey, what: "client key")
        )
        return KubernetesConfiguration(server: server, credentials: credentials, tls: tls, namespace: selected.namespace)
    }
}

/// The parts of a kubeconfig file (`clientcmd/api/v1.Config`) the client reads.
struct KubeconfigFile: Decodable {
    var clusters: [NamedCluster]
    var users: [NamedUser]
    var contexts: [NamedContext]
    var currentContext: String?

    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context
    }

    struct Cluster: Decodable {
        var server: String
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec = false
        var authProvider = false

        init() {}

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            token = try c.decodeIfPresent(String.self, forKey: .token)
            tokenFile = try c.decodeIfPresent(String.self, forKey: .tokenFile)
            clientCertificate = try c.decodeIfPresent(String.self, forKey: .clientCertificate)
            clientCertificateData = try c.decodeIfPresent(String.self, forKey: .clientCertificateData)
            clientKey = try c.decodeIfPresent(String.self, forKey: .clientKey)
            clientKeyData = try c.decodeIfPresent(String.self, forKey: .clientKeyData)
            username = try c.decodeIfPresent(String.self, forKey: .username)
            password = try c.decodeIfPresent(String.self, forKey: .password)
            exec = c.contains(.exec) ? !(try c.decodeNil(forKey: .exec)) : false
            authProvider = c.contains(.authProvider) ? !(try c.decodeNil(forKey: .authProvider)) : false
        }
    }

    struct Context: Decodable {
        var cluster: String
        var user: String?
        var namespace: String?
    }

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clusters = try c.decodeIfPresent([NamedCluster].self, forKey: .clusters) ?? []
        users = try c.decodeIfPresent([NamedUser].self, forKey: .users) ?? []
        contexts = try c.decodeIfPresent([NamedContext].self, forKey: .contexts) ?? []
        currentContext = try c.decodeIfPresent(String.self, forKey: .currentContext)
    }

    /// Decodes JSON (text starting with `{`) or the YAML subset.
    static func decode(_ contents: String) throws -> KubeconfigFile {
        let json: Data
        if contents.drop(while: { $0.isWhitespace }).first == "{" {
            json = Data(contents.utf8)
        } else {
            json = try KubeconfigYAML.jsonData(contents)
        }
        do {
            return try JSONDecoder().decode(KubeconfigFile.self, from: json)
        } catch let error as DecodingError {
            throw KubernetesConfigurationError(.malformedKubeconfig, "the kubeconfig does not decode: \(Self.describe(error))")
        } catch {
            throw KubernetesConfigurationError(.malformedKubeconfig, "the kubeconfig is not valid JSON")
        }
    }

    /// Where decoding failed, without the values (which may be secrets).
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context.codingPath))"
        case .valueNotFound(_, let context): return "missing value at \(path(context.codingPath))"
        case .dataCorrupted(let context): return "malformed at \(path(context.codingPath))"
        @unknown default: return "malformed"
        }
    }
}
