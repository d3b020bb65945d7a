import HTTPTypes

/// The product and action a request calls: `Action` and `Version` from the parameters (V1 and
/// anonymous calls) or from `x-acs-action` and `x-acs-version` (V3).
struct RPCTarget: Sendable {
    var product: EmulatedProduct
    var action: String
    var version: String { product.rawValue }

    /// Whether the request is signed with V3 (an `Authorization: ACS3-...` header).
    static func isV3(_ request: RPCRequest) -> Bool {
        request.headers["authorization"]?.hasPrefix("ACS3-") ?? false
    }

    /// Reads the target; `MissingParameter`, `InvalidVersion` (400) or `InvalidAction.NotFound`
    /// (404) when it is absent or unknown.
    init(_ request: RPCRequest) throws(EmulatorAPIError) {
        let v3 = Self.isV3(request)
        let parameters = request.parameters
        func value(header: String, parameter: String) -> String? {
            let found = v3 ? (request.headers[header] ?? parameters[parameter]) : parameters[parameter]
            return found?.isEmpty == false ? found : nil
        }
        guard let action = value(header: "x-acs-action", parameter: "Action") else {
            throw .missingParameter(v3 ? "x-acs-action" : "Action")
        }
        guard let version = value(header: "x-acs-version", parameter: "Version") else {
            throw .missingParameter(v3 ? "x-acs-version" : "Version")
        }
        guard let product = EmulatedProduct(rawValue: version) else {
            throw EmulatorAPIError(.badRequest, "InvalidVersion", "Specified parameter Version is not valid.")
        }
        guard product.actions.contains(action) else {
            throw EmulatorAPIError(.notFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        }
        self.product = product
        self.action = action
    }
}
