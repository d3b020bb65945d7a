public import EIPCore

extension CloudError: BrokerErrorConvertible {
    /// The broker's code for what the cloud answered: throttling and outages say retry
    /// (`CloudThrottled`, `CloudUnavailable`, with the cloud's hint or a second), the rest say
    /// what was wrong (`NotFound`, `AddressInUse`, `PoolExhausted` for the account's quota, and
    /// `CloudRejected` for any other refusal: the caller's fields were valid, the cloud said no). A request answered with one of these changed nothing in the books.
    public var brokerCode: BrokerError.Code {
        switch kind {
        case .throttled: .cloudThrottled
        case .unavailable, .busy: .cloudUnavailable
        case .notFound: .notFound
        case .inUseElsewhere: .addressInUse
        case .quotaExceeded: .poolExhausted
        default: .cloudRejected
        }
    }

    public var brokerError: BrokerError {
        let retryAfter = isRetryable ? Int(max(1, ((retryAfterMilliseconds ?? 1000) + 999) / 1000)) : nil
        return BrokerError(brokerCode, description, retryAfter: retryAfter)
    }
}
