import Foundation
import XCTest

/// The result of running the built `dsnap` binary as a real process.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the built `dsnap` binary in end-to-end tests, with a fixed environment so ids repeat:
/// author, clock (`DSNAP_NOW`), `TZ=UTC`, a temporary HOME with no git config, and no colour.
enum DsnapProcess {
    /// `.build/<config>/dsnap`, beside the test bundle; `DSNAP_BIN` overrides it.
    static var binary: String {
        if let override = ProcessInfo.processInfo.environment["DSNAP_BIN"] { return override }
        return Bundle.main.bundleURL.appendingPathComponent("dsnap").path
    }

    static let home: String = {
        let path = NSTemporaryDirectory() + "dsnap-test-home-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func environment(now: String = "2026-03-01T10:00:00Z", extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home,
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "USER": "tester",
            "GIT_AUTHOR_NAME": "Test User",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_CONFIG_NOSYSTEM": "1",
            "DSNAP_NOW": now,
        ]
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs `dsnap ARGS` in `directory` and waits for it.
    @discardableResult
    static func run(_ arguments: [String], in directory: String, environment: [String: String]? = nil)
        throws -> ProcessResult {
        try execute(binary, arguments, in: directory, environment: environment ?? Self.environment())
    }

    /// Runs any other program (git, sh) and returns its output.
    @discardableResult
    static func runTool(_ tool: String, _ arguments: [String], in directory: String) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        return try execute("/usr/bin/env", [tool] + arguments, in: directory, environment: environment)
    }

    /// Runs `dsnap ARGS` in `directory` with stdout kept as bytes (a file `show SNAP:PATH` prints
    /// need not be text).
    static func runRaw(_ arguments: [String], in directory: String) throws -> (status: Int32, stdout: Data, stderr: String) {
        let (status, out, err) = try executeRaw(binary, arguments, in: directory, environment: environment())
        return (status, out, String(decoding: err, as: UTF8.self))
    }

    private static func execute(_ executable: String, _ arguments: [String], in directory: String,
                                environment: [String: String]) throws -> ProcessResult {
        let (status, out, err) = try executeRaw(executable, arguments, in: directory, environment: environment)
        return ProcessResult(status: status, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self))
    }

    private static func executeRaw(_ executable: String, _ arguments: [String], in directory: String,
                                   environment: [String: String]) throws -> (Int32, Data, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        process.waitUntilExit()
        return (process.terminationStatus, outData, errData)
    }
}

/// A temporary copy of a fixture dataset, removed when the test ends.
final class TemporaryDataset {
    let path: String

    /// Copies `fixtures/<name>` (never modified in place) into a fresh temporary folder.
    init(fixture name: String = "basic", file: StaticString = #filePath) throws {
        let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let source = root.appendingPathComponent("fixtures").appendingPathComponent(name).path
        let parent = NSTemporaryDirectory() + "dsnap-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        path = parent + "/" + name
        try FileManager.default.copyItem(atPath: source, toPath: path)
    }

    /// An empty temporary folder (not created as a dataset).
    init(emptyNamed name: String) throws {
        let parent = NSTemporaryDirectory() + "dsnap-e2e-" + UUID().uuidString
        path = parent + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    func write(_ text: String, to relativePath: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    func read(_ relativePath: String) throws -> String {
        try String(contentsOfFile: path + "/" + relativePath, encoding: .utf8)
    }
}

/// Parses stdout as JSON with Foundation (an independent parser from dsnap's own).
func parseJSON(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
