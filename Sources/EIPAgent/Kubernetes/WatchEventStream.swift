import AsyncHTTPClient
import NIOCore

/// The events of one watch request, read from the server's stream of newline-delimited JSON.
/// Iterate it once.
///
/// The sequence ends when the server closes the stream normally (its `timeoutSeconds` passed);
/// it throws when the connection breaks, and throws ``KubernetesAPIError`` for an `ERROR` event,
/// with ``KubernetesAPIError/Code/gone`` when the resource version expired. An event cut off by
/// a broken stream is never delivered half: resume from the last delivered event's
/// ``WatchEvent/resourceVersion`` and it comes again. Cancelling the iterating task closes the
/// stream.
///
/// ```swift
/// let events = try await client.watch(Pod.self, options: WatchOptions(resourceVersion: list.metadata.resourceVersion))
/// for try await event in events {
///     if let version = event.resourceVersion { resumeFrom = version }
/// }
/// ```
public struct WatchEventStream<Object: KubernetesObject>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Object>
    public typealias Failure = any Error

    let body: HTTPClientResponse.Body
    let maximumEventBytes: Int

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(bytes: body.makeAsyncIterator(), splitter: JSONLineSplitter(maximumLineBytes: maximumEventBytes))
    }

    /// Reads chunks and hands out one decoded event per complete line.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: HTTPClientResponse.Body.AsyncIterator
        var splitter: JSONLineSplitter
        var ended = false

        public mutating func next() async throws -> WatchEvent<Object>? {
            while true {
                if let line = splitter.nextLine() {
                    if line.allSatisfy(JSONLineSplitter.isBlank) { continue }
                    return try WatchEvent<Object>.decode(line)
                }
                if splitter.pendingBytes > splitter.maximumLineBytes {
                    throw KubernetesAPIError.invalidResponse(
                        httpStatus: 200, "a watch event is larger than \(splitter.maximumLineBytes) bytes"
                    )
                }
                if ended { return nil }
                guard let chunk = try await bytes.next() else {
                    ended = true
                    try Task.checkCancellation()
                    // The server ends every event with a newline: text after the last one is an
                    // event whose stream broke, unless it still decodes whole.
                    if let rest = splitter.remainder(), let event = try? WatchEvent<Object>.decode(rest) {
                        return event
                    }
                    return nil
                }
                splitter.append(chunk)
            }
        }
    }
}
