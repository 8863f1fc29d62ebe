/// The index of the program: every command, in the order `dsnap help` lists them.
/// Each command's code is in Commands/<Name>Command.swift; `.paged()` ones page on a terminal.
enum CommandTable {
    static let all: [CommandSpec] = [
        InitCommand.spec,
        CommitCommand.spec,
        LogCommand.spec.paged(),
        ShowCommand.spec.paged(),
        UpdateCommand.spec,
        DeleteCommand.spec,
        UndeleteCommand.spec,
        StatusCommand.spec,
        DiffCommand.spec.paged(),
        RestoreCommand.spec,
        CloneCommand.spec,
        RunCommand.spec,
        RemoteCommand.spec,
        PushCommand.spec,
        FetchCommand.spec,
        PullCommand.spec,
        MergeCommand.spec,
        ServeCommand.spec,
        TasksCommand.spec,
        VerifyCommand.spec,
        GCCommand.spec,
        HelpCommand.spec,
        CompletionCommand.spec,
    ]

    /// Commands dsnap runs itself, never listed or documented for users.
    static let internalCommands: [CommandSpec] = [
        FlushWorkTreeCommand.spec,
        CompleteCommand.spec,
    ]

    /// Commands that work without a dataset; every other one exits 3 outside a dataset.
    static let datasetFree: Set<String> = ["init", "serve", "help", "completion", FlushWorkTreeCommand.name, CompleteCommand.name]

    static func command(named name: String) -> CommandSpec? {
        all.first { $0.name == name } ?? internalCommands.first { $0.name == name }
    }
}
