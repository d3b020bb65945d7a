/// An error of a lower layer (the store, the SQL backends) that knows what it means to the
/// broker's callers, so the HTTP boundary maps it without knowing the layer's internals.
public protocol BrokerErrorConvertible: Error {
    /// The answer this error becomes; ``BrokerError/Code/internalError`` for one the caller
    /// cannot act on.
    var brokerError: BrokerError { get }
}
