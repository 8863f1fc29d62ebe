import DsnapCore

/// `dsnap tasks`: the journal of long operations (the API's task manager).
enum TasksCommand {
    static let spec = CommandSpec(
        name: "tasks",
        summary: "List long operations (create, restore, clone) and their progress",
        operands: [],
        options: [
            OptionSpec("max-count", short: "n", value: "N", help: "show at most N tasks"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let limit = try arguments.integer("max-count", minimum: 0, command: "tasks")
        let dataset = try invocation.openDataset()
        var tasks = TaskJournal.tasks(in: dataset)
        if let limit { tasks = Array(tasks.prefix(limit)) }
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.array(tasks.map(\.json)), pretty: true))
            return
        }
        for task in tasks {
            let style: Style = task.status == .completed ? .green : task.status == .failed ? .red : .yellow
            var line = task.type.rawValue.padded(toLength: 17)
                + console.paint(task.status.rawValue.padded(toLength: 10), style)
                + task.startedAt.iso8601.prefix(19).replacing("T", with: " ")
            line += "  " + (task.snapshotID.map { String($0.prefix(12)) } ?? "-".padded(toLength: 12))
            line += "  \(task.filesDone)" + (task.filesTotal.map { "/\($0)" } ?? "")
                + ((task.filesTotal ?? task.filesDone) == 1 ? " file" : " files")
            if task.bytesDone > 0 { line += ", \(task.bytesDone) bytes" }
            if let error = task.error { line += "  (" + TerminalText.escape(error) + ")" }
            console.out(line)
        }
    }
}
