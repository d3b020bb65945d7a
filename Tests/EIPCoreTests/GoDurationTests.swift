import EIPCore
import Testing

/// Go's `time.Duration` text form, as the seed's release-strategy annotation takes it.
@Suite("GoDuration")
struct GoDurationTests {
    @Test(
        arguments: [
            ("5m30s", 330_000),
            ("1h", 3_600_000),
            ("1.5h", 5_400_000),
            ("300ms", 300),
            ("1h30m", 5_400_000),
            ("2h45m30.5s", 9_930_500),
            ("0", 0),
            ("+0", 0),
            ("+5s", 5_000),
            ("0s", 0),
            ("10m", 600_000),
            ("1500µs", 1), // U+00B5 MICRO SIGN
            ("2500μs", 2), // U+03BC GREEK SMALL LETTER MU
            ("3000us", 3),
            ("999999ns", 0),
            ("1000000ns", 1),
            (".5s", 500),
            ("5.s", 5_000),
            ("8.2s", 8_200),
            ("4.35s", 4_350),
            ("1.005s", 1_005),
            ("0.001s", 1),
            ("1.7h", 6_120_000),
            ("1h0m0s", 3_600_000),
            ("8784h", 31_622_400_000),
            ("2562047h", 9_223_369_200_000),
            ("1.00000000000000000000000001s", 1_000),
        ] as [(String, Int64)])
    func parses(text: String, milliseconds: Int64) {
        #expect(GoDuration.milliseconds(text) == milliseconds)
    }

    @Test(arguments: [
        "5", "m", "5x", "-5m", "-0", "", "+", ".", ".s", "1..5s", "1.5.5s", "5 m", " 5m", "5m ", "5M", "1h-5m", "1hh",
        "5s5", "one hour",
        // Beyond Int64.max nanoseconds (2562047h47m16.854775807s), where Go reports overflow.
        "2562048h", "9223372036854775808ns", "99999999999999999999h", "2562047h48m",
    ])
    func rejects(text: String) {
        #expect(GoDuration.milliseconds(text) == nil)
    }

    @Test(arguments: [
        (Int64(600_000), "10m0s"),
        (5_400_000, "1h30m0s"),
        (1_500, "1.5s"),
        (250, "250ms"),
        (0, "0s"),
        (1, "1ms"),
        (999, "999ms"),
        (1_000, "1s"),
        (1_050, "1.05s"),
        (1_001, "1.001s"),
        (60_000, "1m0s"),
        (60_500, "1m0.5s"),
        (3_600_000, "1h0m0s"),
        (3_601_000, "1h0m1s"),
        (9_930_500, "2h45m30.5s"),
        (31_622_400_000, "8784h0m0s"),
    ])
    func formatsLikeGo(milliseconds: Int64, text: String) {
        #expect(GoDuration.format(milliseconds: milliseconds) == text)
    }

    @Test(arguments: ["0s", "1ms", "250ms", "1.5s", "59.999s", "10m0s", "1h30m0s", "2h45m30.5s", "8784h0m0s", "25h0m0.001s"])
    func canonicalTextRoundTrips(text: String) throws {
        let ms = try #require(GoDuration.milliseconds(text))
        #expect(GoDuration.format(milliseconds: ms) == text)
    }

    @Test(arguments: [Int64(1), 7, 999, 1_000, 1_234, 59_999, 60_000, 61_001, 3_599_999, 3_600_000, 86_400_123, 31_622_400_000])
    func formattedMillisecondsParseBack(milliseconds: Int64) {
        #expect(GoDuration.milliseconds(GoDuration.format(milliseconds: milliseconds)) == milliseconds)
    }

    @Test func everyMillisecondWrittenAsDecimalSecondsIsExact() {
        // Floating point would make 8.2s 8199 ms; Go's integer arithmetic (and ours) does not.
        let wrong = (Int64(0)..<20_000).filter { ms in
            let fraction = String(ms % 1000)
            let text = "\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
            return GoDuration.milliseconds(text) != ms
        }
        #expect(wrong == [])
    }
}
