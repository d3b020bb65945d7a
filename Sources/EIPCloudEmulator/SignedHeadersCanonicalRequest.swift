import EIPCloud

/// The V3 canonical request over exactly the headers a client listed in `SignedHeaders`, as
/// Alibaba's gateway builds it. Clients built on ``AlibabaSignature`` sign `host`,
/// `content-type` and `x-acs-*` only, and get the same text as
/// ``AlibabaSignature/canonicalRequestV3(method:path:query:headers:hashedPayload:)``; the
/// official SDKs also sign headers such as `user-agent` and `accept`, which this accepts too.
enum SignedHeadersCanonicalRequest {
    /// - Parameters:
    ///   - signedHeaders: the lowercased names from `SignedHeaders`, in the client's order.
    ///   - headers: the request's headers by lowercased name.
    static func build(
        method: String, path: String, query: [String: String], signedHeaders: [String], headers: [String: String], hashedPayload: String
    ) -> String {
        let names = Set(signedHeaders).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonicalHeaders = names.map { "\($0):\(trimmed(headers[$0] ?? ""))\n" }.joined()
        let canonicalQuery = AlibabaSignature.canonicalQuery(query)
        return [
            method.uppercased(), path.isEmpty ? "/" : path, canonicalQuery, canonicalHeaders, names.joined(separator: ";"), hashedPayload,
        ]
        .joined(separator: "\n")
    }

    private static func trimmed(_ value: String) -> String {
        var scalars = Substring(value)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
