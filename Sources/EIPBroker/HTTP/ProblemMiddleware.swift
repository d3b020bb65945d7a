import EIPAPI
import EIPCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import OpenAPIRuntime

/// The one place errors become HTTP answers: every error, from validation, the store, the
/// generated request decoding or the router, leaves as `application/problem+json` with a stable
/// code. Only unexpected errors are 500, and they are logged (without request bodies). A path
/// that exists asked with a method it does not serve is `405 MethodNotAllowed` with `Allow`.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = self.routes.methods(at: request.uri.path)
            guard !allowed.isEmpty else { return Components.Schemas.Problem.response(for: Self.brokerError(for: error)) }
            var response = Components.Schemas.Problem.response(
                for: BrokerError(
                    .methodNotAllowed, "\(request.method) is not served at this path; it serves \(allowed.joined(separator: ", "))")
            )
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch {
            let problem = Self.invalidQueryParameter(for: error, in: request.uri) ?? Self.brokerError(for: error)
            if problem.code == .internalError {
                // Only the underlying error: a ServerError's own description quotes the request
                // head, Authorization header included.
                let cause =
                    (error as? ServerError).map { "\($0.operationID): \(String(reflecting: $0.underlyingError))" }
                    ?? String(reflecting: error)
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(cause)"])
            }
            return Components.Schemas.Problem.response(for: problem)
        }
    }

    /// Classifies any error thrown while answering a request.
    static func brokerError(for error: any Error) -> BrokerError {
        switch error {
        case let error as BrokerError:
            return error
        case let error as ServerError:
            // A domain error (the broker's, or the store's and the cloud's that map to one) is the
            // answer wherever it was thrown, before the operation's input existed too.
            let isDomainError = error.underlyingError is BrokerError || error.underlyingError is any BrokerErrorConvertible
            if error.operationInput == nil, !isDomainError {
                // The generated code could not decode the request: the caller's mistake.
                return requestDecodingError(error.underlyingError, cause: error.causeDescription)
            }
            return brokerError(for: error.underlyingError)
        case let error as DecodingError:
            return requestDecodingError(error, cause: "")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return BrokerError(.notFound, "no such route")
            case .methodNotAllowed: return BrokerError(.methodNotAllowed, "method not allowed on this route")
            case .contentTooLarge: return BrokerError(.payloadTooLarge, "request body too large")
            default:
                return error.status.code < 500
                    ? BrokerError(.invalidArgument, error.body ?? error.status.reasonPhrase) : BrokerError(.internalError, "internal error")
            }
        case let error as any BrokerErrorConvertible:
            return error.brokerError
        default:
            return BrokerError(.internalError, "internal error")
        }
    }

    /// The generated code decodes the query before the body and reports a query value it cannot
    /// decode without the parameter's name: this names the typed parameter (`wait`, `pageSize`,
    /// `phase`) whose value does not parse.
    static func invalidQueryParameter(for error: any Error, in uri: URI) -> BrokerError? {
        guard let error = error as? ServerError, error.operationInput == nil, error.underlyingError is DecodingError else { return nil }
        for (name, value) in uri.queryParameters {
            switch name {
            case "wait", "pageSize":
                if Int(value) == nil { return .invalid(String(name), "must be an integer (got '\(value.prefix(80))')") }
            case "phase":
                if LeasePhase(rawValue: String(value)) == nil {
                    return .invalid(
                        "phase", "must be one of \(LeasePhase.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(value.prefix(80))')"
                    )
                }
            default:
                continue
            }
        }
        return nil
    }

    static func requestDecodingError(_ error: any Error, cause: String) -> BrokerError {
        guard let decoding = error as? DecodingError else {
            let detail = String(describing: error)
            return BrokerError(
                .invalidArgument, "request: \(cause.isEmpty ? "" : cause + ": ")\(detail)",
                fieldViolations: [.init(field: "request", rule: detail)])
        }
        func path(_ context: DecodingError.Context, appending key: (any CodingKey)? = nil) -> String {
            var field = ""
            for component in context.codingPath + (key.map { [$0] } ?? []) {
                if let index = component.intValue {
                    field += "[\(index)]"
                } else {
                    field += (field.isEmpty ? "" : ".") + component.stringValue
                }
            }
            return field.isEmpty ? "body" : field
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            return .invalid(path(context, appending: key), "is required")
        case .typeMismatch(let type, let context):
            return .invalid(path(context), "must be \(jsonTypeName(type))")
        case .valueNotFound(let type, let context):
            return .invalid(path(context), "must be \(jsonTypeName(type)), not null")
        case .dataCorrupted(let context):
            if context.debugDescription.hasPrefix("Additional properties") {
                return .invalid(path(context), "is not a known field")
            }
            if context.codingPath.isEmpty {
                return .invalid("body", "must be a valid JSON document (\(context.debugDescription))")
            }
            return .invalid(path(context), context.debugDescription)
        @unknown default:
            return .invalid("body", "could not be decoded")
        }
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is String.Type: "a string"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
