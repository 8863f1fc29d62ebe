import Foundation
import Glibc
import XCTest

/// Runs the built `dsnap` with its standard error on a pseudo-terminal, as a user at a terminal
/// sees it, and its standard output on a pipe: what only a terminal gets (the progress line) can
/// then be checked. The terminal is 200 columns wide, so no line is cut.
enum PseudoTerminal {
    struct Run {
        let status: Int32
        let stdout: String
        /// Everything written to the terminal, as written: carriage returns and escapes included
        /// (the terminal turns each newline into "\r\n").
        let terminal: String
    }

    static func run(_ arguments: [String], in directory: String, environment: [String: String]) throws -> Run {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw XCTSkip("no pseudo-terminal available: errno \(errno)") }
        defer { close(master) }
        // grantpt/unlockpt/ptsname, which the Glibc module does not offer, are these two ioctls
        // (TIOCSPTLCK and TIOCGPTN, whose C macros Swift cannot import).
        var locked: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, 0x4004_5431, &locked) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw XCTSkip("cannot unlock the pseudo-terminal: errno \(errno)")
        }
        var size = winsize(ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw XCTSkip("cannot open the pseudo-terminal: errno \(errno)") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: DsnapProcess.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            close(slave)
            throw error
        }
        // Only the child holds the terminal now: reading ends (EIO) once it exits.
        close(slave)
        let terminal = TerminalBytes()
        let readerDone = DispatchSemaphore(value: 0)
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(master, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                terminal.bytes += buffer[0..<count]
            }
            readerDone.signal()
        }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        readerDone.wait()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   terminal: String(decoding: terminal.bytes, as: UTF8.self))
    }
}

/// What the reading thread gathered; read once it signalled that it is done.
private final class TerminalBytes: @unchecked Sendable {
    var bytes: [UInt8] = []
}
