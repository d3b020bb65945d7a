import EIPCore
import Testing

/// The identifier and address rules the API applies before anything reaches the store.
@Suite("Validation")
struct ValidationTests {
    @Test(arguments: [
        ("a", true), ("default", true), ("kube-system", true), ("prod-1", true), ("0", true), ("9a", true),
        (String(repeating: "a", count: 63), true),
        (String(repeating: "a", count: 64), false),
        ("", false), ("-a", false), ("a-", false), ("-", false), ("Default", false), ("a_b", false), ("a.b", false),
        ("a b", false), ("é", false), ("ａ", false),
    ])
    func dnsLabel(text: String, valid: Bool) {
        #expect(Validation.isDNSLabel(text) == valid)
    }

    @Test(arguments: [
        ("web-0", true), ("web.default", true), ("a.b.c", true), ("nginx-7c5ddbdf54-x2v9q", true), ("0.1", true),
        // Kubernetes object names limit the whole name, not each part, to 253.
        (String(repeating: "p", count: 64), true),
        (String(repeating: "p", count: 253), true),
        (String(repeating: "p", count: 100) + "." + String(repeating: "q", count: 100), true),
        (String(repeating: "p", count: 254), false),
        ("", false), (".", false), ("a.", false), (".a", false), ("a..b", false), ("a.-b", false), ("a-.b", false),
        ("Web-0", false), ("web_0", false), ("web 0", false), ("web/0", false), ("wéb", false),
    ])
    func dnsSubdomain(text: String, valid: Bool) {
        #expect(Validation.isDNSSubdomain(text) == valid)
    }

    @Test(arguments: [
        ("192.168.0.10", true), ("0.0.0.0", true), ("255.255.255.255", true), ("10.0.0.1", true), ("1.2.3.4", true),
        ("256.1.1.1", false), ("1.2.3.256", false), ("01.2.3.4", false), ("1.2.3.04", false), ("1.02.3.4", false), ("00.0.0.0", false),
        ("1.2.3", false), ("1.2.3.4.5", false), ("1.2.3.", false), (".1.2.3", false), ("1..2.3", false), ("", false),
        ("1.2.3.4 ", false), (" 1.2.3.4", false), ("+1.2.3.4", false), ("1.2.3.-4", false), ("1.2.3.4a", false),
        ("0x1.2.3.4", false), ("1234.1.1.1", false), ("١.2.3.4", false), ("::1", false), ("1.2.3.4/32", false),
    ])
    func ipv4(text: String, valid: Bool) {
        #expect(Validation.isIPv4(text) == valid)
    }

    @Test(arguments: [
        ("eip-bp1abc", "eip-", true), ("eip-BP1-x9", "eip-", true), ("cbwp-2ze8", "cbwp-", true), ("rg-acfm2", "rg-", true),
        ("eni-uf6", "eni-", true), ("pippool-1", "pippool-", true),
        ("eip-" + String(repeating: "a", count: 60), "eip-", true),
        ("eip-" + String(repeating: "a", count: 61), "eip-", false),
        ("eip-", "eip-", false), ("eip", "eip-", false), ("cbwp-1", "eip-", false), ("EIP-abc", "eip-", false),
        ("eip-a_b", "eip-", false), ("eip-a.b", "eip-", false), ("eip-a b", "eip-", false), ("eip-é", "eip-", false),
        (" eip-abc", "eip-", false), ("", "eip-", false),
    ])
    func cloudID(text: String, prefix: String, valid: Bool) {
        #expect(Validation.isCloudID(text, prefix: prefix) == valid)
    }

    @Test(arguments: [
        ("BGP", true), ("BGP_PRO", true), ("ChinaTelecom", true), ("ChinaUnicom_L2", true), (String(repeating: "B", count: 32), true),
        (String(repeating: "B", count: 33), false), ("", false), ("BGP-PRO", false), ("BGP PRO", false), ("BGP.PRO", false), ("ＢＧＰ", false),
    ])
    func isp(text: String, valid: Bool) {
        #expect(Validation.isISP(text) == valid)
    }

    @Test(arguments: [
        ("0a1b2c3d-4e5f-6789-abcd-ef0123456789", true), ("A1-b2", true), ("1", true), (String(repeating: "u", count: 128), true),
        (String(repeating: "u", count: 129), false), ("", false), ("a_b", false), ("a.b", false), ("a b", false), ("uïd", false),
    ])
    func uid(text: String, valid: Bool) {
        #expect(Validation.isUID(text) == valid)
    }
}
