import EIPCloud
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Answers the emulated RPC OpenAPI (`GET /` and `POST /`): reads the call, counts it,
/// authenticates it, applies throttling and injected faults, runs the action, and turns every
/// error into Alibaba's JSON error body. The one place errors become responses.
///
/// Logs name the action, the access key id and the outcome; never a secret, a signature or a
/// security token.
struct RPCResponder: Sendable {
    let emulator: CloudEmulator
    let authenticator: RequestAuthenticator
    let vpc: VPCActions
    let ecs: ECSActions
    let sts: STSActions
    let logger: Logger

    init(emulator: CloudEmulator, logger: Logger) {
        let configuration = emulator.configuration
        self.emulator = emulator
        authenticator = RequestAuthenticator(
            accessKeyID: configuration.accessKeyID, accessKeySecret: configuration.accessKeySecret,
            clockSkewAllowance: configuration.clockSkewAllowance, issuer: emulator.issuer, nonces: emulator.nonces
        )
        vpc = VPCActions(cloud: emulator.cloud, region: configuration.region, journal: emulator.journal)
        ecs = ECSActions(cloud: emulator.cloud, region: configuration.region)
        sts = STSActions(issuer: emulator.issuer, accountID: configuration.accountID, expiry: configuration.stsExpiry)
        self.logger = logger
    }

    static let requestIDHeader = HTTPField.Name("x-acs-request-id")!
    static let retryAfterHeader = HTTPField.Name("x-acs-retry-after")!

    func respond(to request: Request) async -> Response {
        let requestID = UUID().uuidString.uppercased()
        var product = EmulatedProduct.vpc
        var action = "-"
        var keyID = "-"
        do {
            let rpc = try await RPCRequest(request)
            let target = try RPCTarget(rpc)
            product = target.product
            action = target.action
            emulator.stats.countRequest(action)
            let caller = try authenticator.authenticate(rpc, target: target)
            keyID = caller.accessKeyID ?? "-"
            if let wait = emulator.faults.throttle.take(action) {
                throw EmulatorAPIError.throttled(retryAfterMilliseconds: wait)
            }
            let latency = emulator.faults.latency
            if latency > .zero { try await Task.sleep(for: latency) }
            let admission = emulator.faults.admit(action)
            if admission == .fail { throw EmulatorAPIError.serviceUnavailable }
            let call = RPCCall(target: target, parameters: RPCParameters(rpc.parameters), caller: caller)
            let result: JSONValue
            switch target.product {
            case .vpc: result = try await vpc.handle(call)
            case .ecs: result = try await ecs.handle(call)
            case .sts: result = try await sts.handle(call)
            }
            if admission == .dropResponse { throw EmulatorAPIError.serviceUnavailable }
            logger.debug(
                "answered", metadata: ["action": "\(action)", "accessKeyId": "\(keyID)", "requestId": "\(requestID)", "status": "200"])
            var headers: HTTPFields = [.contentType: "application/json;charset=utf-8"]
            headers[Self.requestIDHeader] = requestID
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: result.prepending("RequestId", .string(requestID)).serialized))
            )
        } catch {
            let apiError: EmulatorAPIError =
                switch error {
                case let error as EmulatorAPIError: error
                case let error as CloudError: EmulatorAPIError(error)
                case is CancellationError: .serviceUnavailable
                default:
                    EmulatorAPIError(.internalServerError, "InternalError", "The request processing has failed due to some unknown error.")
                }
            return render(
                apiError, requestID: requestID, hostID: product.hostID(region: emulator.configuration.region), action: action, keyID: keyID)
        }
    }

    private func render(_ error: EmulatorAPIError, requestID: String, hostID: String, action: String, keyID: String) -> Response {
        emulator.stats.countError(error.code)
        if error.code.hasPrefix("Throttling"), action != "-" { emulator.stats.countThrottled(action) }
        logger.debug(
            "refused",
            metadata: [
                "action": "\(action)", "accessKeyId": "\(keyID)", "requestId": "\(requestID)", "status": "\(error.status.code)",
                "code": "\(error.code)",
            ]
        )
        var headers: HTTPFields = [.contentType: "application/json;charset=utf-8"]
        headers[Self.requestIDHeader] = requestID
        if let milliseconds = error.retryAfterMilliseconds {
            headers[Self.retryAfterHeader] = String(milliseconds)
            headers[.retryAfter] = String((milliseconds + 999) / 1000)
        }
        return Response(
            status: error.status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: error.body(requestID: requestID, hostID: hostID).serialized))
        )
    }
}
