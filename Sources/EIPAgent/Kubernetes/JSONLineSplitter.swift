import NIOCore

/// Cuts a byte stream into newline-terminated lines, however the bytes were split into chunks:
/// a watch event may arrive in many chunks, and one chunk may hold many events.
struct JSONLineSplitter {
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    let maximumLineBytes: Int

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// Adds the bytes of `chunk`.
    mutating func append(_ chunk: ByteBuffer) {
        append(chunk.readableBytesView)
    }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received and not yet handed out as lines. Read after ``nextLine()`` returned `nil`,
    /// it is the length of the unfinished line.
    var pendingBytes: Int { buffer.count - start }

    /// The next complete line without its newline, if one has arrived.
    mutating func nextLine() -> ArraySlice<UInt8>? {
        guard let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = buffer.count
            return nil
        }
        let line = buffer[start..<newline]
        start = newline + 1
        scanned = start
        return line
    }

    /// What is left after the last newline, once the stream has ended; `nil` when only blanks.
    mutating func remainder() -> ArraySlice<UInt8>? {
        let rest = buffer[start...]
        start = buffer.count
        scanned = start
        return rest.allSatisfy(Self.isBlank) ? nil : rest
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
    }
}
