import Foundation

/// Runs a program to its end with its output (stdout and stderr together) in a temporary file,
/// for tests that drive a tool (schemathesis, scripts/chaos) and check its verdict.
enum ChildProcess {
    /// - Returns: the exit status and everything the program printed.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.currentDirectoryURL = directory
        process.arguments = arguments
        process.environment = environment
        let output = try FileHandle(forWritingTo: outputFile)
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        var statuses = exited.stream.makeAsyncIterator()
        let status = await statuses.next() ?? -1
        try output.close()
        return (status, (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "")
    }
}
