import DsnapCore
import FoundationEssentials
import Glibc

/// The dsnap program, callable in-process: parses global options, dispatches to the command from
/// `CommandTable`, and turns every error into a message, a hint and an exit code.
public enum DsnapCLI {
    /// Runs dsnap with the process's stdout, stderr and working directory.
    public static func run(arguments: [String], environment: [String: String]) -> Int32 {
        let console = Console.standard(environment: environment)
        InterruptHandler.install(console: console)
        let status = run(arguments: arguments, environment: environment, console: console,
                         workingDirectory: FileManager.default.currentDirectoryPath,
                         workTreeFlush: .background(executable: "/proc/self/exe", arguments: [FlushWorkTreeCommand.name]))
        // Interrupted: the handler says so and exits; what ended the command meanwhile is its doing.
        while InterruptCleanup.isInterrupted { pause() }
        return status
    }

    static let commonOptions = [
        OptionSpec("help", short: "h", help: "show this help"),
        OptionSpec("quiet", short: "q", help: "print only data and errors"),
    ]

    /// `workTreeFlush`: how restore and clone flush what they wrote when `--sync` is not given; in
    /// a process of its own dsnap hands that to a background copy of itself, in-process it waits.
    static func run(arguments: [String], environment: [String: String], console: Console,
                    workingDirectory: String, workTreeFlush: WorkTreeFlush = .wait) -> Int32 {
        do {
            try dispatch(arguments, environment: environment, console: console, workingDirectory: workingDirectory,
                         workTreeFlush: workTreeFlush)
            return ExitCode.success.rawValue
        } catch {
            // A libgit2 failure no wrapper converted still gets the words and code it deserves.
            let error = (error as? GitFailure)?.asDsnapError(path: workingDirectory) ?? error
            report(error, console: console)
            return ExitCode.forError(error).rawValue
        }
    }

    private static func dispatch(_ arguments: [String], environment: [String: String], console: Console,
                                 workingDirectory: String, workTreeFlush: WorkTreeFlush) throws {
        var directory = workingDirectory
        var quiet = false
        var position = 0
        // Global options come before the command, as in git.
        while position < arguments.count, arguments[position].hasPrefix("-") {
            let argument = arguments[position]
            switch argument {
            case "-C":
                position += 1
                guard position < arguments.count else { throw UsageError(message: "option '-C' needs a value (PATH)") }
                let path = arguments[position]
                directory = path.hasPrefix("/") ? path : directory + "/" + path
                var info = stat()
                guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                    throw UsageError(message: "cannot change to '\(path)': no such directory")
                }
            case "-q", "--quiet":
                quiet = true
            case "--version":
                console.out("dsnap \(HelpText.version) (libgit2 \(LibGit2Version.string))")
                return
            case "-h", "--help":
                console.outRaw(HelpText.overview())
                return
            default:
                throw UsageError(message: "unknown option '\(argument)'")
            }
            position += 1
        }
        guard position < arguments.count else {
            console.errRaw(HelpText.overview())
            throw UsageError(message: "no command given")
        }
        let name = arguments[position]
        guard let command = CommandTable.command(named: name) else {
            throw UsageError(message: "unknown command '\(name)'")
        }
        let parsed = try ParsedArguments.parse(Array(arguments[(position + 1)...]), for: command,
                                               common: commonOptions)
        if parsed.flag("help") {
            console.outRaw(HelpText.help(for: command))
            return
        }
        try parsed.checkOperands(for: command)
        let invocation = Invocation(console: console, environment: environment,
                                    workingDirectory: URL(fileURLWithPath: directory).standardizedFileURL.path,
                                    quiet: quiet || parsed.flag("quiet"),
                                    workTreeFlush: parsed.flag("sync") ? .wait : workTreeFlush)
        try command.run(parsed, invocation)
    }

    private static func report(_ error: Error, console: Console) {
        // The interruption's clean-up may have caused this error: the handler reports instead.
        while InterruptCleanup.isInterrupted { pause() }
        switch error {
        case let error as UsageError:
            console.error(error.message, hintLines: [error.hint])
        case let error as DsnapError:
            console.error(error.message, hintLines: error.hintLines)
        default:
            console.error("internal error: \(error)", hintLines: ["this is a bug in dsnap; please report it"])
        }
    }
}
