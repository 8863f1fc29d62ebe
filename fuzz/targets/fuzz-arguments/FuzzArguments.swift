@testable import DsnapCLI
import FuzzSupport
import Glibc

/// libFuzzer entry: the first byte picks a command, the rest is its arguments separated by NUL
/// bytes (as argv holds them). Parsing may refuse them with a usage error, never trap.
@main
enum FuzzArguments {
    static func main() { exit(runFuzzer(fuzzerTestOneInput)) }
}

/// libFuzzer's own main, linked in too, calls this by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzArguments(fuzzInput(data, count))
    return 0
}

private func fuzzArguments(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let selector = bytes.first else { return }
    let commands = CommandTable.all + CommandTable.internalCommands
    let command = commands[Int(selector) % commands.count]
    // argv arrives as C strings: invalid UTF-8 is repaired the way CommandLine.arguments does.
    let arguments = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    do {
        let parsed = try ParsedArguments.parse(arguments, for: command, common: DsnapCLI.commonOptions)
        if parsed.flag("help") { _ = HelpText.help(for: command) }
        try parsed.checkOperands(for: command)
        for option in command.options where option.value != nil {
            _ = try? parsed.integer(option.long, minimum: 1, command: command.name)
        }
    } catch let error as UsageError {
        _ = error.hint
    } catch {
        fatalError("ParsedArguments threw something other than a usage error: \(error)")
    }
}
