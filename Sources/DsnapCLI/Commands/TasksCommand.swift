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
        for line in TaskTable.lines(tasks, datasetName: dataset.name, now: invocation.context.now(), console: console) {
            console.out(line)
        }
    }
}
