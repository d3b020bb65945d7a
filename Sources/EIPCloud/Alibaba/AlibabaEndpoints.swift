public import Foundation

/// Where each product's OpenAPI answers, per region.
///
/// The defaults are Alibaba's public endpoints: VPC at `vpc.aliyuncs.com` for its central
/// regions and `vpc.<region>.aliyuncs.com` elsewhere, ECS at `ecs.<region>.aliyuncs.com`, STS at
/// `sts.aliyuncs.com`. Overrides point a product (or one region of it) somewhere else: a VPC
/// endpoint, a proxy, or the loopback emulator in tests.
///
/// ```swift
/// let endpoints = AlibabaEndpoints.all(at: URL(string: "http://127.0.0.1:8080")!)
/// endpoints.url(for: .vpc, region: "cn-hangzhou")  // http://127.0.0.1:8080
/// ```
public struct AlibabaEndpoints: Sendable, Hashable {
    /// Regions that `vpc.aliyuncs.com` serves.
    public static let centralVPCRegions: Set<String> = [
        "cn-hangzhou", "cn-beijing", "cn-shanghai", "cn-shenzhen", "cn-qingdao", "cn-hongkong",
        "ap-southeast-1", "us-west-1", "us-east-1",
    ]

    /// One endpoint per product, for every region.
    public var overrides: [AlibabaProduct: URL]
    /// One endpoint per product and region; wins over ``overrides``.
    public var regionalOverrides: [AlibabaProduct: [String: URL]]

    public init(overrides: [AlibabaProduct: URL] = [:], regionalOverrides: [AlibabaProduct: [String: URL]] = [:]) {
        self.overrides = overrides
        self.regionalOverrides = regionalOverrides
    }

    /// Every product at one base URL: what tests use to reach the emulator.
    public static func all(at url: URL) -> AlibabaEndpoints {
        AlibabaEndpoints(overrides: [.vpc: url, .ecs: url, .sts: url])
    }

    /// The endpoint of `product` in `region`.
    public func url(for product: AlibabaProduct, region: String) -> URL {
        if let url = regionalOverrides[product]?[region] ?? overrides[product] {
            return url
        }
        return URL(string: "https://\(Self.defaultHost(for: product, region: region))")!
    }

    /// Alibaba's public host name of `product` in `region`.
    public static func defaultHost(for product: AlibabaProduct, region: String) -> String {
        switch product.code {
        case AlibabaProduct.vpc.code:
            centralVPCRegions.contains(region) || region.isEmpty ? "vpc.aliyuncs.com" : "vpc.\(region).aliyuncs.com"
        case AlibabaProduct.sts.code:
            "sts.aliyuncs.com"
        default:
            region.isEmpty ? "\(product.code).aliyuncs.com" : "\(product.code).\(region).aliyuncs.com"
        }
    }
}
