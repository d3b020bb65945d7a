/// An Alibaba Cloud OpenAPI product the broker calls, with the API version it speaks.
public struct AlibabaProduct: Sendable, Hashable, CustomStringConvertible {
    /// The product code, lowercase (`vpc`, `ecs`, `sts`): the first label of its endpoints.
    public let code: String
    /// The API version sent as `Version` / `x-acs-version`.
    public let version: String

    public init(code: String, version: String) {
        self.code = code
        self.version = version
    }

    /// Virtual Private Cloud, which owns the EIP actions.
    public static let vpc = AlibabaProduct(code: "vpc", version: "2016-04-28")
    /// Elastic Compute Service, for `DescribeNetworkInterfaces`.
    public static let ecs = AlibabaProduct(code: "ecs", version: "2014-05-26")
    /// Security Token Service, for `AssumeRoleWithOIDC`.
    public static let sts = AlibabaProduct(code: "sts", version: "2015-04-01")

    public var description: String { code }
}
