import EIPAPI
import EIPCore
import EIPSQL
import EIPStore
import Foundation
import OpenAPIRuntime
import Prometheus

/// The broker's implementation of the generated `APIProtocol`: validates each call, turns it
/// into one store transaction, wakes the reconciler, and waits when asked.
///
/// The caller's identity comes from ``BrokerRequestContext/current``; errors are ``BrokerError``s, mapped to
/// problem documents by ``ProblemMiddleware``.
struct BrokerAPI: APIProtocol {
    let store: BrokerStore
    let accounts: CloudAccounts
    let signal: WorkSignal
    let waiter: LeaseWaiter
    let configuration: BrokerConfiguration
    let metrics: PrometheusCollectorRegistry

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .plainText(HTTPBody("ok\n"))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        do {
            try await store.database.ping(within: .seconds(2))
        } catch {
            throw BrokerError(.unavailable, "the database does not answer: \(error)", retryAfter: 2)
        }
        return .ok(.init(body: .plainText(HTTPBody("ready\n"))))
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return .ok(.init(body: .plainText(HTTPBody(buffer))))
    }
}

extension BrokerAPI {
    /// `provider` must name a configured cloud account: a rule of the broker's configuration,
    /// not of the document, so its violation is contextual (`422`).
    func providerViolations(_ provider: String) -> [BrokerError.FieldViolation] {
        guard !accounts.contains(provider) else { return [] }
        return [
            .init(
                field: "provider", rule: "must name a configured cloud account (\(accounts.names.joined(separator: ", ")))",
                isContextual: true)
        ]
    }
}
