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
    /// The process's pager, armed for commands that page; nil in-process.
    let pager: Pager?
    /// The exit status, when a command's is not simply success or its error's: `dsnap run`
    /// exits with its COMMAND's.
    var exitStatus: Int32?

    init(console: Console, environment: [String: String], workingDirectory: String, quiet: Bool,
         workTreeFlush: WorkTreeFlush = .wait, pager: Pager? = nil) {
        self.console = console
        self.pager = pager
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

    /// A PATH operand as a path from the dataset folder ("" for the folder itself): given relative
    /// to the working folder, as git takes pathspecs, with `.` and `..` resolved. Outside the
    /// dataset is a usage error of `command`. A name as dsnap prints it quoted (`"caf\351.json"`,
    /// quotes included, or without them as a shell leaves it) stands for the name it quotes,
    /// unless the work tree has a file of that very name.
    func datasetPath(_ typed: String, in dataset: Dataset, command: String) throws -> String {
        let path = DatasetPathOperand.unquoted(typed, unlessFileAt: absolutePath(typed))
        let absolute = URL(fileURLWithPath: absolutePath(path)).standardizedFileURL.path
        let root = dataset.root.hasSuffix("/") ? dataset.root : dataset.root + "/"
        if absolute == dataset.root || absolute + "/" == root { return "" }
        guard absolute.hasPrefix(root) else {
            throw UsageError(message: "path '\(path)' is outside the dataset '\(dataset.root)'", command: command)
        }
        return String(absolute.dropFirst(root.count))
    }

    /// A progress line on stderr when it is a terminal and not quiet; nil otherwise.
    func progressSink() -> ProgressSink? {
        console.stderrIsTerminal && !quiet ? TerminalProgress(console: console, environment: environment) : nil
    }

    /// The snapshot writer every command that snapshots uses.
    var snapshotWriter: SnapshotWriter { FastSnapshotWriter() }
}
