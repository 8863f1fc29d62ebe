import CObjectCodec
import Foundation

/// Runs a tool (git, mostly) with `input` on its standard input; its standard output. Throws
/// when it exits non-zero. For the tests that compare dsnap's packs with git's.
@discardableResult
func runTool(_ arguments: [String], input: Data? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardInput = stdin
    process.standardError = FileHandle.nullDevice
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    try output.fileHandleForReading.close()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "tool", code: Int(process.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: arguments.joined(separator: " ")])
    }
    return data
}

/// `pack` with its trailing checksum (the SHA-1 of everything before) appended.
func withPackChecksum(_ pack: [UInt8]) -> [UInt8] {
    var context = dsnap_sha1_context()
    dsnap_sha1_init(&context)
    dsnap_sha1_update(&context, pack, pack.count)
    var digest = [UInt8](repeating: 0, count: 20)
    dsnap_sha1_finish(&context, &digest)
    return pack + digest
}
