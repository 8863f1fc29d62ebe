import DsnapCore

/// `-h` and `dsnap help` texts, generated from the command declarations.
enum HelpText {
    static let version = "0.1.0"

    static let globalUsage = "dsnap [-C PATH] [-q|--quiet] [--no-pager] [--version] [-h|--help] COMMAND [ARGS]"

    /// What `dsnap` alone prints (on stderr, exit 2): the usage and the commands, one line each.
    static func shortUsage() -> String {
        "usage: \(globalUsage)\n\n" + commandList()
            + "\nRun 'dsnap help' for the global options, 'dsnap help COMMAND' for one command.\n"
    }

    static func overview() -> String {
        var text = "usage: \(globalUsage)\n\n"
        text += "Version a dataset folder (media files and JSON sidecars) as snapshots in plain git.\n\n"
        text += commandList()
        text += "\nGlobal options:\n"
        text += "  -C PATH        run as if dsnap was started in PATH\n"
        text += "  -q, --quiet    print only data and errors\n"
        text += "  --no-pager     print log, show and diff straight to the terminal, without a pager\n"
        text += "  --version      print dsnap's version\n"
        text += "  -h, --help     show this help\n"
        text += "\nSnapshots are named by id, unique id prefix (4+ hex digits), unique name, or 'current'.\n"
        text += "Run 'dsnap help COMMAND' or 'man dsnap-COMMAND' for a command's details.\n"
        return text
    }

    private static func commandList() -> String {
        var text = "Commands:\n"
        let width = (CommandTable.all.map(\.name.count).max() ?? 8) + 2
        for command in CommandTable.all {
            text += "  " + command.name.padded(toLength: width) + command.summary + "\n"
        }
        return text
    }

    static func help(for command: CommandSpec) -> String {
        var text = "usage: \(command.usage)\n\n\(command.summary).\n"
        let rows = command.operands.map { ($0.name, $0.help) } + (command.trailing.map { [(command.trailingSynopsis, $0.help)] } ?? [])
            + command.options.map { option in
                let spelled = (option.short.map { "-\($0), " } ?? "") + "--" + option.long
                    + (option.value.map { " " + $0 } ?? "")
                return (spelled, option.help)
            }
            + [("-q, --quiet", "print only data and errors"), ("-h, --help", "show this help")]
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        text += "\nOperands and options:\n"
        for (name, help) in rows {
            text += "  " + name.padded(toLength: width) + help + "\n"
        }
        text += "\nSee 'man dsnap-\(command.name)' for details and examples.\n"
        return text
    }
}
