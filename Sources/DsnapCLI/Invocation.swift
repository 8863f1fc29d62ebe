import DsnapCore
import FoundationEssentials
import Glibc

/// Everything a command needs besides its arguments: where it runs, how to print, the clock.
final class Invocation: @unchecked Sendable {
    let console: Console
    let environment: [String: String]
    /// The directory commands act in: the process's, or `-C PATH`.
    let workingDirectory: String
    let quiet: Bool
    let context: OperationContext

    init(console: Console, environment: [String: String], workingDirectory: String, quiet: Bool,
         workTreeFlush: WorkTreeFlush = .wait) {
        self.console = console
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.quiet = quiet
        var context = OperationContext(environment: environment)
        context.workTreeFlush = workTreeFlush
        self.context = context
        if let fixed = environment["DSNAP_NOW"], !fixed.isEmpty, Timestamp(iso8601: fixed) == nil {
            console.warning("ignoring DSNAP_NOW='\(fixed)': not a time like 2026-03-01T10:00:00Z")
        }
    }

    /// The dataset containing the working directory.
    func openDataset() throws -> Dataset {
        try Dataset.discover(from: workingDirectory)
    }

    /// A path given on the command line, made absolute against the working directory.
    func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : workingDirectory + "/" + path
    }

    /// A progress line on stderr when it is a terminal and not quiet; nil otherwise.
    func progressSink() -> ProgressSink? {
        console.stderrIsTerminal && !quiet ? TerminalProgress(console: console, environment: environment) : nil
    }

    /// The snapshot writer every command that snapshots uses.
    var snapshotWriter: SnapshotWriter { FastSnapshotWriter() }
}
