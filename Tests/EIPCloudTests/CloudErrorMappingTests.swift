import EIPCloud
import EIPCore
import Testing

/// What each kind of cloud failure becomes for the broker's callers: the code, its status, and
/// whether the answer says when to retry.
@Suite("CloudError mapping")
struct CloudErrorMappingTests {
    static let cases: [(CloudError.Kind, BrokerError.Code, Int, Bool)] = [
        (.throttled, .cloudThrottled, 429, true),
        (.unavailable, .cloudUnavailable, 503, true),
        (.busy, .cloudUnavailable, 503, true),
        (.notFound, .notFound, 404, false),
        (.inUseElsewhere, .addressInUse, 409, false),
        (.quotaExceeded, .poolExhausted, 429, false),
        (.rejected, .cloudRejected, 422, false),
    ]

    @Test(arguments: cases.indices)
    func eachKindHasItsCode(index: Int) {
        let (kind, code, status, retry) = Self.cases[index]
        let error = CloudError(kind, code: "Cloud.Code", message: "what the cloud said", retryAfterMilliseconds: 2_500)
        #expect(error.brokerCode == code)
        #expect(error.brokerError.code.httpStatus == status)
        #expect(error.brokerError.message.contains("Cloud.Code"), "\(error.brokerError.message)")
        #expect((error.brokerError.retryAfter == 3) == retry, "\(kind): retry after \(String(describing: error.brokerError.retryAfter))")
    }

    @Test func aRefusalOfValidFieldsIsNotTheCallersInvalidArgument() {
        let forbidden = CloudError(.rejected, code: "Forbidden.RAM", message: "the RAM user may not AllocateEipAddress")
        #expect(forbidden.brokerCode != .invalidArgument)
        #expect(forbidden.brokerCode.rawValue == "CloudRejected")
    }
}
