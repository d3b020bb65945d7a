/// Reads what a pod asks of the broker from its annotations, by the seed's rules.
///
/// - A pod asks for an EIP with `k8s.aliyun.com/pod-with-eip: "true"` (or `eci-with-eip`):
///   `true`/`false` in any case, or with `k8s.aliyun.com/pod-eip-instanceid` (or
///   `eci-eip-instanceid`), which names a static EIP and wins over `pod-with-eip`. A pod with
///   neither asks for nothing (`nil`), and then no other annotation is looked at.
/// - A value that is empty counts as absent, as in the seed's Go controllers.
/// - Where a compatible name exists (`eci-with-eip`, `eci-eip-instanceid`, `eip-charge-type`),
///   either name may be used; both with different values are refused, naming the primary one.
/// - Parameters left out stay `nil`, so the pool's defaults apply (the seed's `PayByTraffic`
///   default included: the pool decides).
/// - A static EIP keeps its own settings: parameter annotations (and a pool) beside it are not
///   read, only listed (``PodEIPRequest/ignoredAnnotations``), as ACK ignores them.
/// - `PrePaid` is refused as the broker refuses it (``EIPParameters/prePaidRefusal``).
///
/// The first broken rule is thrown, checked in a fixed order, so the same pod always gets the
/// same message.
public enum PodEIPRequestParser {
    /// The request a pod's annotations make.
    /// - Parameters:
    ///   - annotations: The pod's `metadata.annotations`.
    ///   - defaultPool: The agent's pool for pods without `eip-broker.io/pool`; `nil` or empty
    ///     when it has none.
    /// - Returns: `nil` when the pod asks for no EIP.
    /// - Throws: ``PodAnnotationError`` naming the annotation and the rule for a bad value.
    ///
    /// ```swift
    /// let request = try PodEIPRequestParser.parse(
    ///     annotations: ["k8s.aliyun.com/pod-with-eip": "true", "k8s.aliyun.com/eip-bandwidth": "5"],
    ///     defaultPool: "default")
    /// // request?.source == .pool("default"), request?.overrides.bandwidth == 5
    /// ```
    public static func parse(annotations: [String: String], defaultPool: String?) throws(PodAnnotationError) -> PodEIPRequest? {
        let reader = AnnotationReader(annotations: annotations)
        let withEIP = try reader.flag(PodAnnotation.podWithEIP, compatible: PodAnnotation.eciWithEIP)
        let instanceID = try reader.found(PodAnnotation.eipInstanceID, compatible: PodAnnotation.eciEIPInstanceID)
        guard instanceID != nil || withEIP == true else { return nil }

        if let instanceID {
            guard Validation.isCloudID(instanceID.value, prefix: "eip-") else {
                throw instanceID.error("must be an EIP instance id like eip-bp14qxxxx: letters, digits and '-', at most 64 characters")
            }
            return PodEIPRequest(
                source: .static(allocationID: instanceID.value), releaseStrategy: try reader.releaseStrategy(),
                ignoredAnnotations: PodAnnotation.autoAllocationOnly.filter { reader[$0] != nil }
            )
        }

        let pool = try reader.pool(default: defaultPool)
        var overrides = EIPParameters()
        overrides.bandwidth = try reader.bandwidth()
        overrides.internetChargeType = try reader.found(PodAnnotation.internetChargeType, compatible: PodAnnotation.chargeType)?
            .checked(oneOf: ["PayByTraffic", "PayByBandwidth"])
        if let instanceChargeType = reader.found(PodAnnotation.instanceChargeType) {
            overrides.instanceChargeType = try instanceChargeType.checked(oneOf: ["PostPaid", "PrePaid"])
            if overrides.instanceChargeType == "PrePaid" { throw instanceChargeType.error(EIPParameters.prePaidRefusal) }
        }
        let bandwidthPackageID = try reader.found(PodAnnotation.commonBandwidthPackageID)?.checked(cloudID: "cbwp-")
        overrides.isp = try reader.found(PodAnnotation.isp)?.checkedISP()
        overrides.publicIpAddressPoolId = try reader.found(PodAnnotation.publicIPAddressPoolID)?.checked(cloudID: "pippool-")
        overrides.resourceGroupId = try reader.found(PodAnnotation.resourceGroupID)?.checked(cloudID: "rg-")
        overrides.name = try reader.found(PodAnnotation.name)?.checked(text: 128)
        overrides.description = try reader.found(PodAnnotation.description)?.checked(text: 256)
        return PodEIPRequest(
            source: .pool(pool), overrides: overrides, bandwidthPackageID: bandwidthPackageID,
            releaseStrategy: try reader.releaseStrategy()
        )
    }
}

/// One annotation found with a non-empty value.
private struct FoundAnnotation {
    var annotation: String
    var value: String

    func error(_ rule: String) -> PodAnnotationError {
        PodAnnotationError(annotation: annotation, rule: rule, value: value)
    }

    func checked(oneOf allowed: [String]) throws(PodAnnotationError) -> String {
        guard allowed.contains(value) else { throw error("must be \(allowed.joined(separator: " or "))") }
        return value
    }

    func checked(cloudID prefix: String) throws(PodAnnotationError) -> String {
        guard Validation.isCloudID(value, prefix: prefix) else {
            throw error("must look like \(prefix)xxxx: letters, digits and '-', at most 64 characters")
        }
        return value
    }

    func checkedISP() throws(PodAnnotationError) -> String {
        guard Validation.isISP(value) else { throw error("must be a line type such as BGP or BGP_PRO: 1-32 letters, digits or '_'") }
        return value
    }

    /// A cloud name or description: at most `limit` characters and 4 bytes of UTF-8 for each,
    /// no control characters.
    func checked(text limit: Int) throws(PodAnnotationError) -> String {
        guard Validation.fits(value, characters: limit) else {
            throw error("must be at most \(limit) characters (\(4 * limit) bytes of UTF-8)")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw error("must not contain control characters")
        }
        return value
    }
}

/// A pod's annotations, read by the seed's conventions.
private struct AnnotationReader {
    var annotations: [String: String]

    /// The value of `annotation`; `nil` when absent or empty.
    subscript(_ annotation: String) -> String? {
        guard let value = annotations[annotation], !value.isEmpty else { return nil }
        return value
    }

    /// `annotation` with its value, or `nil` when absent or empty.
    func found(_ annotation: String) -> FoundAnnotation? {
        self[annotation].map { FoundAnnotation(annotation: annotation, value: $0) }
    }

    /// The value of `primary` or of its `compatible` name; refused when both differ.
    func found(_ primary: String, compatible: String) throws(PodAnnotationError) -> FoundAnnotation? {
        switch (self[primary], self[compatible]) {
        case (nil, nil): return nil
        case (nil, .some(let value)): return FoundAnnotation(annotation: compatible, value: value)
        case (.some(let value), nil): return FoundAnnotation(annotation: primary, value: value)
        case (.some(let value), .some(let other)):
            guard value == other else {
                throw PodAnnotationError(
                    annotation: primary,
                    rule: "conflicts with \(compatible) ('\(other.prefix(80))'): set one of them, or both to the same value",
                    value: value
                )
            }
            return FoundAnnotation(annotation: primary, value: value)
        }
    }

    /// A `true`/`false` annotation (any case) or its compatible name; `nil` when neither is set.
    func flag(_ primary: String, compatible: String) throws(PodAnnotationError) -> Bool? {
        func parse(_ annotation: String) throws(PodAnnotationError) -> Bool? {
            guard let value = self[annotation] else { return nil }
            switch value.lowercased() {
            case "true": return true
            case "false": return false
            default: throw PodAnnotationError(annotation: annotation, rule: "must be \"true\" or \"false\"", value: value)
            }
        }
        let first = try parse(primary)
        let second = try parse(compatible)
        if let first, let second, first != second {
            throw PodAnnotationError(
                annotation: primary,
                rule: "conflicts with \(compatible) ('\(self[compatible] ?? "")'): set one of them, or both to the same value",
                value: self[primary] ?? ""
            )
        }
        return first ?? second
    }

    /// `eip-broker.io/pool`, else the agent's default pool.
    func pool(default defaultPool: String?) throws(PodAnnotationError) -> String {
        let rule = "must be a broker pool name: 1-63 lowercase letters, digits or '-'"
        if let pool = self[PodAnnotation.brokerPool] {
            guard Validation.isDNSLabel(pool) else {
                throw PodAnnotationError(annotation: PodAnnotation.brokerPool, rule: rule, value: pool)
            }
            return pool
        }
        guard let defaultPool, !defaultPool.isEmpty else {
            throw PodAnnotationError(
                annotation: PodAnnotation.brokerPool, rule: "is required: the agent has no default pool", value: ""
            )
        }
        guard Validation.isDNSLabel(defaultPool) else {
            throw PodAnnotationError(
                annotation: PodAnnotation.brokerPool, rule: "is absent and the agent's default pool \(rule)", value: defaultPool
            )
        }
        return defaultPool
    }

    /// `k8s.aliyun.com/eip-bandwidth`: a whole number of Mbps from 1 to 1000.
    func bandwidth() throws(PodAnnotationError) -> Int? {
        guard let value = self[PodAnnotation.bandwidth] else { return nil }
        guard value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let mbps = Int(value), (1...1000).contains(mbps) else {
            throw PodAnnotationError(
                annotation: PodAnnotation.bandwidth, rule: "must be a whole number of Mbps from 1 to 1000", value: value
            )
        }
        return mbps
    }

    /// `k8s.aliyun.com/pod-eip-release-strategy`, `Follow` when absent.
    func releaseStrategy() throws(PodAnnotationError) -> ReleaseStrategy {
        guard let value = self[PodAnnotation.releaseStrategy] else { return .follow }
        do throws(BrokerError) {
            return try ReleaseStrategy(parsing: value, field: PodAnnotation.releaseStrategy)
        } catch {
            // ReleaseStrategy's rules end with the value, which PodAnnotationError keeps apart.
            var rule = error.fieldViolations.first?.rule ?? error.message
            let suffix = " (got '\(value)')"
            if rule.hasSuffix(suffix) { rule.removeLast(suffix.count) }
            throw PodAnnotationError(annotation: PodAnnotation.releaseStrategy, rule: rule, value: value)
        }
    }
}
