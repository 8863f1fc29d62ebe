import DsnapCore
import FoundationEssentials
import Glibc

/// The dsnap program, callable in-process: parses global options, dispatches to the command from
/// `CommandTable`, and turns every error into a message, a hint and an exit code.
public enum DsnapCLI {
    /// Runs dsnap with the process's stdout, stderr and working directory, paging log, show and
    /// diff on a terminal.
    public static func run(arguments: [String], environment: [String: String]) -> Int32 {
        let pager = Pager(environment: environment)
        // Whether stdout is a terminal is decided here, before a pager takes it over, so colour
        // stays on when paging (less -R passes it through).
        let console = Console(writeOut: { pager.write($0) }, writeErr: { writeAll($0, to: STDERR_FILENO) },
                              writeOutBytes: { pager.write(bytes: $0) },
                              stdoutIsTerminal: isatty(STDOUT_FILENO) == 1,
                              stderrIsTerminal: isatty(STDERR_FILENO) == 1, environment: environment)
        InterruptHandler.install(console: console)
        let status = run(arguments: arguments, environment: environment, console: console,
                         workingDirectory: currentDirectory,
                         workTreeFlush: .background(executable: "/proc/self/exe", arguments: [FlushWorkTreeCommand.name]),
                         pager: pager)
        // Interrupted: the handler says so and exits; what ended the command meanwhile is its doing.
        while InterruptCleanup.isInterrupted { pause() }
        return status
    }

    /// The process's arguments past the program's name, every byte kept: a file name that is not
    /// UTF-8 reaches a PATH operand as `PathBytes` holds it (`CommandLine.arguments` turns such
    /// bytes into U+FFFD).
    /// (No arguments at all when the runtime could not read them: on Linux it reads
    /// /proc/self/cmdline, whose open may fail.)
    public static var processArguments: [String] {
        CommandLine.argc < 2 ? []
            : (1..<Int(CommandLine.argc)).compactMap { CommandLine.unsafeArgv[$0].map { PathBytes.string(cString: $0) } }
    }

    /// The process's working folder, every byte kept (`FileManager` turns bytes that are not
    /// UTF-8 into U+FFFD, and the folder so named is another, or none).
    static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return FileManager.default.currentDirectoryPath }
        return PathBytes.string(cString: buffer)
    }

    static let commonOptions = [
        OptionSpec("help", short: "h", help: "show this help"),
        OptionSpec("quiet", short: "q", help: "print only data and errors"),
    ]

    /// `workTreeFlush`: how restore and clone flush what they wrote when `--sync` is not given; in
    /// a process of its own dsnap hands that to a background copy of itself, in-process it waits.
    /// `pager`: the process's pager, nil in-process (the console is then the caller's).
    static func run(arguments: [String], environment: [String: String], console: Console,
                    workingDirectory: String, workTreeFlush: WorkTreeFlush = .wait, pager: Pager? = nil) -> Int32 {
        do {
            let status = try dispatch(arguments, environment: environment, console: console,
                                      workingDirectory: workingDirectory, workTreeFlush: workTreeFlush, pager: pager)
            pager?.finish()
            return status
        } catch {
            // The user reads the pager first, then the error, last on the screen.
            pager?.finish()
            // A libgit2 failure no wrapper converted still gets the words and code it deserves.
            let error = (error as? GitFailure)?.asDsnapError(path: workingDirectory) ?? error
            report(error, console: console)
            return ExitCode.forError(error).rawValue
        }
    }

    private static func dispatch(_ arguments: [String], environment: [String: String], console: Console,
                                 workingDirectory: String, workTreeFlush: WorkTreeFlush, pager: Pager?) throws -> Int32 {
        var directory = workingDirectory
        var quiet = false
        var noPager = false
        var position = 0
        // Global options come before the command, as in git; `UnknownOption.globalSpellings` lists them.
        while position < arguments.count, arguments[position].hasPrefix("-") {
            let argument = arguments[position]
            switch argument {
            case "-C":
                position += 1
                guard position < arguments.count else { throw UsageError(message: "option '-C' needs a value (PATH)") }
                let path = arguments[position]
                directory = path.hasPrefix("/") ? path : directory + "/" + path
                var info = stat()
                guard stat(PathBytes.cString(directory), &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                    throw UsageError(message: "cannot change to '\(path)': no such directory")
                }
            case "-q", "--quiet":
                quiet = true
            case "--no-pager":
                noPager = true
            case "--version":
                console.out("dsnap \(HelpText.version) (libgit2 \(LibGit2Version.string))")
                return ExitCode.success.rawValue
            case "-h", "--help":
                console.outRaw(HelpText.overview())
                return ExitCode.success.rawValue
            default:
                let typed = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
                throw UnknownOption.globalError(typed, rest: Array(arguments[(position + 1)...]))
            }
            position += 1
        }
        guard position < arguments.count else {
            // No command: what there is to run, briefly, as git does; not an error to report.
            console.errRaw(HelpText.shortUsage())
            return ExitCode.usage.rawValue
        }
        let name = arguments[position]
        guard let command = CommandTable.command(named: name) else { throw UnknownCommand.error(name) }
        let parsed = try ParsedArguments.parse(Array(arguments[(position + 1)...]), for: command,
                                               common: commonOptions)
        if parsed.flag("help") {
            console.outRaw(HelpText.help(for: command))
            return ExitCode.success.rawValue
        }
        try parsed.checkOperands(for: command)
        if command.pages && !noPager && !parsed.flag("no-pager") {
            pager?.arm(stdoutIsTerminal: console.stdoutIsTerminal, warn: { console.warning($0) })
        }
        let invocation = Invocation(console: console, environment: environment,
                                    workingDirectory: URL(fileURLWithPath: directory).standardizedFileURL.path,
                                    quiet: quiet || parsed.flag("quiet"),
                                    workTreeFlush: parsed.flag("sync") ? .wait : workTreeFlush, pager: pager)
        try command.run(parsed, invocation)
        return invocation.exitStatus ?? ExitCode.success.rawValue
    }

    private static func report(_ error: Error, console: Console) {
        // The interruption's clean-up may have caused this error: the handler reports instead.
        while InterruptCleanup.isInterrupted { pause() }
        switch error {
        case let error as UsageError:
            console.error(error.message, hintLines: error.hintLines)
        case let error as DsnapError:
            console.error(error.message, hintLines: error.hintLines)
        default:
            console.error("internal error: \(error)", hintLines: ["this is a bug in dsnap; please report it"])
        }
    }
}
