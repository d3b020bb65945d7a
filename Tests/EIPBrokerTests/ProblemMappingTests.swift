import EIPCore
import EIPSQL
import EIPStore
import HTTPTypes
import OpenAPIRuntime
import Testing

@testable import EIPBroker

/// How errors become problem codes at the HTTP boundary, without a server: a domain error
/// keeps its meaning wherever the generated code wraps it.
@Suite("Problem mapping")
struct ProblemMappingTests {
    static func wrapped(_ underlying: any Error) -> ServerError {
        ServerError(
            operationID: "associateLease",
            request: HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/leases/l-1/associate"),
            requestBody: nil, requestMetadata: ServerRequestMetadata(), causeDescription: "Middleware threw an error.",
            underlyingError: underlying)
    }

    @Test func aStoreErrorThrownBeforeTheInputWasDecodedKeepsItsCode() {
        // No operation input yet (thrown by a middleware in front of decoding): still 503, not 400.
        let problem = ProblemMiddleware<BrokerRequestContext>.brokerError(
            for: Self.wrapped(SQLError.unavailable("the connection to PostgreSQL was closed")))
        #expect(problem.code == .unavailable)
    }

    @Test func aBrokerErrorThrownBeforeTheInputWasDecodedKeepsItsCode() {
        let problem = ProblemMiddleware<BrokerRequestContext>.brokerError(
            for: Self.wrapped(BrokerError(.conflict, "a request with this key is still being answered")))
        #expect(problem.code == .conflict)
    }

    @Test func anUndecodableRequestIsTheCallersMistake() {
        struct Unreadable: Error {}
        let problem = ProblemMiddleware<BrokerRequestContext>.brokerError(for: Self.wrapped(Unreadable()))
        #expect(problem.code == .invalidArgument)
        #expect(problem.fieldViolations.first?.field == "request")
    }
}
