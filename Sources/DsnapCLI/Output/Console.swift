import DsnapCore
import FoundationEssentials
import Glibc

/// Where the CLI writes: stdout for data, stderr for status, progress and errors. The binary uses
/// the process's streams; tests pass buffers.
final class Console: @unchecked Sendable {
    private let writeOut: (String) -> Void
    /// Bytes that need not be text (a file's content); nil: they go to `writeOut` decoded, which
    /// only in-process callers that print no binary content may accept.
    private let writeOutBytes: ((UnsafeRawBufferPointer) -> Void)?
    private let writeErr: (String) -> Void
    let stdoutIsTerminal: Bool
    let stderrIsTerminal: Bool
    /// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb.
    let useColor: Bool
    let errorColor: Bool

    init(writeOut: @escaping (String) -> Void, writeErr: @escaping (String) -> Void,
         writeOutBytes: ((UnsafeRawBufferPointer) -> Void)? = nil,
         stdoutIsTerminal: Bool, stderrIsTerminal: Bool, environment: [String: String]) {
        self.writeOut = writeOut
        self.writeOutBytes = writeOutBytes
        self.writeErr = writeErr
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        let colorAllowed = (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
        self.useColor = colorAllowed && stdoutIsTerminal
        self.errorColor = colorAllowed && stderrIsTerminal
    }

    /// The process's own streams.
    static func standard(environment: [String: String]) -> Console {
        Console(writeOut: { writeAll($0, to: STDOUT_FILENO) },
                writeErr: { writeAll($0, to: STDERR_FILENO) },
                writeOutBytes: { writeAll($0, to: STDOUT_FILENO) },
                stdoutIsTerminal: isatty(STDOUT_FILENO) == 1, stderrIsTerminal: isatty(STDERR_FILENO) == 1,
                environment: environment)
    }

    func out(_ line: String) { writeOut(line + "\n") }
    func outRaw(_ text: String) { writeOut(text) }
    /// Bytes exactly as given, with no newline added: a file's content.
    func outBytes(_ bytes: UnsafeRawBufferPointer) {
        if let writeOutBytes { writeOutBytes(bytes) } else { writeOut(String(decoding: bytes, as: UTF8.self)) }
    }
    func err(_ line: String) { writeErr(line + "\n") }
    func errRaw(_ text: String) { writeErr(text) }

    /// One `dsnap: error:` line, then one `hint:` line per line of `hint`. Messages quote what the
    /// user typed, so control characters are escaped: nothing can forge a line or drive the terminal.
    func error(_ message: String, hintLines: [String]) {
        let label = errorColor ? Style.red.apply("error:") : "error:"
        err("dsnap: \(label) \(TerminalText.escape(message))")
        for line in hintLines { err("hint: " + TerminalText.escape(line)) }
    }

    func warning(_ message: String) {
        let label = errorColor ? Style.yellow.apply("warning:") : "warning:"
        err("dsnap: \(label) \(TerminalText.escape(message))")
    }

    /// Colours `text` for stdout when colour is on.
    func paint(_ text: String, _ style: Style) -> String { useColor ? style.apply(text) : text }
}

/// ANSI styles used in human output.
enum Style: String {
    case red = "31", green = "32", yellow = "33", bold = "1", dim = "2"
    func apply(_ text: String) -> String { "\u{1B}[\(rawValue)m\(text)\u{1B}[0m" }
}

/// Writes everything; a closed pipe (EPIPE) ends quietly, as `head` users expect.
func writeAll(_ text: String, to fileDescriptor: Int32) {
    Array(text.utf8).withUnsafeBytes { writeAll($0, to: fileDescriptor) }
}

/// `writeAll` for bytes that need not be text.
func writeAll(_ bytes: UnsafeRawBufferPointer, to fileDescriptor: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}
