import Glibc

/// Why `dsnap run` could not run its COMMAND.
public enum RunError: DsnapError, Equatable {
    /// No COMMAND after `--`.
    case noCommand
    /// `--on-failure restore` without a checkpoint to restore.
    case restoreWithoutCheckpoint
    /// COMMAND could not be started: it does not exist (a shell's 127) or may not be run (126).
    case cannotStart(command: String, failure: ChildProcess.StartFailure)

    public var kind: ErrorKind {
        switch self {
        case .noCommand, .restoreWithoutCheckpoint: .invalidRequest
        case .cannotStart(_, .notFound): .notFound
        case .cannotStart(_, .notExecutable): .forbidden
        }
    }

    /// The status a shell exits with when it cannot run a command: 127 not found, 126 not
    /// executable. `dsnap run` stands in for the shell that would have run COMMAND, so it uses
    /// them too, and scripts tell "COMMAND failed" from "COMMAND never ran" as they do with `sh -c`.
    public var shellStatus: Int32? {
        switch self {
        case .cannotStart(_, .notFound): 127
        case .cannotStart(_, .notExecutable): 126
        case .noCommand, .restoreWithoutCheckpoint: nil
        }
    }

    public var message: String {
        switch self {
        case .noCommand:
            return "no COMMAND to run"
        case .restoreWithoutCheckpoint:
            return "--on-failure restore needs --checkpoint: there is nothing to restore without one"
        case let .cannotStart(command, .notFound):
            return "cannot run '\(command)': " + (command.contains("/") ? "no such file" : "command not found")
        case let .cannotStart(command, .notExecutable(errno: code)):
            let reason = switch code {
            case EISDIR: "it is a folder"
            case ENOEXEC: "not a program (a script needs a '#!' line)"
            case EACCES: "permission denied"
            default: String(cString: strerror(code))
            }
            return "cannot run '\(command)': \(reason)"
        }
    }

    public var hint: String? {
        switch self {
        case .noCommand:
            return "give the command after '--', as in 'dsnap run --checkpoint -- ./tag.sh'"
        case .restoreWithoutCheckpoint:
            return "add --checkpoint, or leave out --on-failure restore"
        case let .cannotStart(command, .notFound):
            return command.contains("/")
                ? "a relative path is taken from the dataset's folder, where COMMAND runs"
                : "check its name and PATH, or give its path (relative paths start at the dataset's folder)"
        case let .cannotStart(command, .notExecutable(errno: code)):
            return code == EISDIR ? nil : "make it executable ('chmod +x \(command)') or run it through its interpreter ('sh \(command)')"
        }
    }
}
