import EIPCloud
import Testing

@testable import EIPTestSupport

/// Alibaba's request signatures: the published vectors of `CLOUD-APIS.md` byte for byte, and the
/// encoding edge cases.
///
/// The edge-case constants were computed with the official Python SDKs' own functions
/// (`alibabacloud_openapi_util.client.Client.get_rpcsignature` and `.get_authorization` from
/// `alibabacloud-openapi-util` 0.2.4; the V1 one also with `aliyunsdkcore` 2.16.1's
/// `rpc_signature_composer`, which agrees), called on the same parameters, and pasted here.
@Suite("AlibabaSignature")
struct AlibabaSignatureTests {
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Parameters with spaces, `*`, `~`, `/`, `+`, `=`, `&`, non-ASCII and an empty value.
    static let edgeParameters: [String: String] = [
        "RegionId": "cn-hangzhou",
        "Tag.1.Key": "a b*c~d/e",
        "Tag.1.Value": "x+y=z&w",
        "Tag.2.Key": "中文",
        "Tag.2.Value": "é",
        "Description": "",
    ]

    // MARK: Percent-encoding

    @Test(arguments: [
        ("", ""),
        ("AZaz09-_.~", "AZaz09-_.~"),
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~", "~"),
        ("/", "%2F"),
        ("+", "%2B"),
        ("=", "%3D"),
        ("&", "%26"),
        (":", "%3A"),
        ("%", "%25"),
        ("中文", "%E4%B8%AD%E6%96%87"),
        ("é", "%C3%A9"),
        ("2016-02-23T12:46:24Z", "2016-02-23T12%3A46%3A24Z"),
    ])
    func percentEncodes(_ input: String, _ expected: String) {
        #expect(AlibabaSignature.percentEncode(input) == expected)
    }

    // MARK: V1

    @Test func publishedV1Vector() {
        let parameters = [
            "AccessKeyId": "testid",
            "Action": "DescribeRegions",
            "Format": "XML",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
            "SignatureVersion": "1.0",
            "Timestamp": "2016-02-23T12:46:24Z",
            "Version": "2014-05-26",
        ]
        #expect(
            AlibabaSignature.canonicalQueryV1(parameters)
                == "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
                + "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
                + "&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
        )
        #expect(
            AlibabaSignature.stringToSignV1(method: "GET", parameters: parameters)
                == "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
                + "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
                + "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        )
        #expect(
            AlibabaSignature.signatureV1(method: "GET", parameters: parameters, accessKeySecret: "testsecret")
                == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
        // The Signature parameter itself is never signed.
        var signed = parameters
        signed["Signature"] = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        #expect(
            AlibabaSignature.signatureV1(method: "GET", parameters: signed, accessKeySecret: "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        )
    }

    static var edgeV1Parameters: [String: String] {
        edgeParameters.merging([
            "AccessKeyId": "testid",
            "Action": "TagResources",
            "Format": "JSON",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": "n-1",
            "SignatureVersion": "1.0",
            "Timestamp": "2024-01-02T03:04:05Z",
            "Version": "2016-04-28",
        ]) { $1 }
    }

    @Test func v1EdgeCasesMatchTheOfficialSDK() {
        let parameters = Self.edgeV1Parameters
        #expect(
            AlibabaSignature.stringToSignV1(method: "GET", parameters: parameters)
                == "GET&%2F&AccessKeyId%3Dtestid%26Action%3DTagResources%26Description%3D%26Format%3DJSON"
                + "%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dn-1"
                + "%26SignatureVersion%3D1.0%26Tag.1.Key%3Da%2520b%252Ac~d%252Fe%26Tag.1.Value%3Dx%252By%253Dz%2526w"
                + "%26Tag.2.Key%3D%25E4%25B8%25AD%25E6%2596%2587%26Tag.2.Value%3D%25C3%25A9"
                + "%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2016-04-28"
        )
        #expect(
            AlibabaSignature.signatureV1(method: "GET", parameters: parameters, accessKeySecret: "testsecret")
                == "4gJfyq7eQnXB4a3cIuRmCcprVhg=")
        #expect(
            AlibabaSignature.signatureV1(method: "POST", parameters: parameters, accessKeySecret: "s3cr/t+=&")
                == "WYM5kEvVIgKT7nUVo2/ZWtkrkfI=")
    }

    @Test func v1SortsByByteOrder() {
        // Uppercase sorts before lowercase in byte order; a locale-aware sort would interleave.
        #expect(AlibabaSignature.canonicalQueryV1(["b": "1", "B": "2", "a": "3", "A": "4"]) == "A=4&B=2&a=3&b=1")
    }

    // MARK: V3

    static let publishedV3Headers = [
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": emptySHA256,
    ]
    static let publishedV3Query = [
        "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        "RegionId": "cn-shanghai",
    ]

    @Test func publishedV3Vector() {
        #expect(AlibabaSignature.hexSHA256([UInt8]()) == Self.emptySHA256)
        let (canonicalRequest, signedHeaders) = AlibabaSignature.canonicalRequestV3(
            method: "POST", path: "/", query: Self.publishedV3Query, headers: Self.publishedV3Headers, hashedPayload: Self.emptySHA256
        )
        #expect(signedHeaders == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version")
        #expect(AlibabaSignature.hexSHA256(canonicalRequest.utf8) == "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259")
        #expect(
            AlibabaSignature.signatureV3(canonicalRequest: canonicalRequest, accessKeySecret: "YourAccessKeySecret")
                == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        )
        #expect(
            AlibabaSignature.authorizationV3(
                method: "POST", path: "/", query: Self.publishedV3Query, headers: Self.publishedV3Headers, body: [],
                accessKeyID: "YourAccessKeyId", accessKeySecret: "YourAccessKeySecret"
            )
                == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
                + "x-acs-date;x-acs-signature-nonce;x-acs-version,"
                + "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        )
    }

    @Test func v3SignsOnlyHostContentTypeAndACSHeadersLowercasedAndTrimmed() {
        let headers = [
            "Host": "example.com",
            "Content-Type": " application/x-www-form-urlencoded ",
            "X-Acs-Action": "A",
            "User-Agent": "ignored",
            "Accept": "application/json",
        ]
        let (canonicalRequest, signedHeaders) = AlibabaSignature.canonicalRequestV3(
            method: "post", path: "", query: [:], headers: headers, hashedPayload: Self.emptySHA256
        )
        #expect(signedHeaders == "content-type;host;x-acs-action")
        #expect(
            canonicalRequest
                == "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.com\nx-acs-action:A\n\n"
                + "content-type;host;x-acs-action\n\(Self.emptySHA256)"
        )
    }

    @Test func v3EdgeCasesMatchTheOfficialSDK() {
        let headers = [
            "host": "127.0.0.1:8090",
            "x-acs-action": "TagResources",
            "x-acs-version": "2016-04-28",
            "x-acs-date": "2024-01-02T03:04:05Z",
            "x-acs-signature-nonce": "n-2",
            "x-acs-content-sha256": Self.emptySHA256,
            "x-acs-security-token": "tok+/=",
        ]
        let (canonicalRequest, _) = AlibabaSignature.canonicalRequestV3(
            method: "GET", path: "/", query: Self.edgeParameters, headers: headers, hashedPayload: Self.emptySHA256
        )
        #expect(
            canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2]
                == "Description=&RegionId=cn-hangzhou&Tag.1.Key=a%20b%2Ac~d%2Fe&Tag.1.Value=x%2By%3Dz%26w"
                + "&Tag.2.Key=%E4%B8%AD%E6%96%87&Tag.2.Value=%C3%A9"
        )
        #expect(
            AlibabaSignature.authorizationV3(
                method: "GET", path: "/", query: Self.edgeParameters, headers: headers, body: [],
                accessKeyID: "AKID", accessKeySecret: "s3cr/t+=&"
            )
                == "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;"
                + "x-acs-security-token;x-acs-signature-nonce;x-acs-version,"
                + "Signature=51ed6acb08c90aa5fac199ad706470e7e2b40b0c61428d401240fd6887df1249"
        )
    }

    @Test func v3FormBodyMatchesTheOfficialSDK() {
        let body = Array("Bandwidth=5&RegionId=cn-hangzhou".utf8)
        let headers = [
            "host": "127.0.0.1:8090",
            "x-acs-action": "AllocateEipAddress",
            "x-acs-version": "2016-04-28",
            "content-type": "application/x-www-form-urlencoded",
            "x-acs-date": "2024-01-02T03:04:05Z",
            "x-acs-signature-nonce": "n-3",
            "x-acs-content-sha256": AlibabaSignature.hexSHA256(body),
        ]
        #expect(
            AlibabaSignature.authorizationV3(
                method: "POST", path: "/", query: [:], headers: headers, body: body, accessKeyID: "AKID", accessKeySecret: "sk"
            )
                == "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;"
                + "x-acs-date;x-acs-signature-nonce;x-acs-version,"
                + "Signature=694d0252d741e23f6493358565f04385227b39345b9c35347a60121fd67edc38"
        )
    }
}
