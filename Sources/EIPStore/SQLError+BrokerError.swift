public import EIPCore
public import EIPSQL

/// What a database failure means to the broker's callers: the store's errors leave it as domain
/// errors, whichever layer below raised them.
extension SQLError: BrokerErrorConvertible {
    /// `Unavailable` (503, retry in 2 s) while the database is away; `Conflict` for a capacity
    /// limit a concurrent writer reached first; anything else is internal.
    public var brokerError: BrokerError {
        switch self {
        case .unavailable(let reason):
            BrokerError(.unavailable, "the database is unavailable (\(reason)); retry", retryAfter: 2)
        case .checkViolation(let constraint) where constraint.contains("capacity"):
            BrokerError(.conflict, "a capacity limit was reached (\(constraint))", retryAfter: 1)
        default:
            BrokerError(.internalError, "internal error")
        }
    }
}
