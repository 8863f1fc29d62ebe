import DsnapCore

/// `dsnap show SNAP`: one snapshot in detail, optionally with its files.
enum ShowCommand {
    static let spec = CommandSpec(
        name: "show",
        summary: "Show one snapshot in detail",
        operands: [OperandSpec("SNAP", help: "an id, a unique id prefix (4+ hex digits), a unique name, or 'current'")],
        options: [
            OptionSpec("files", help: "also list the snapshot's files, with their class (image, video, json, other)"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let catalog = SnapshotCatalog(dataset: dataset)
        let snapshot = try catalog.resolve(arguments.operand(0)!)
        let files = arguments.flag("files") ? try catalog.files(of: snapshot) : nil
        let console = invocation.console
        if arguments.flag("json") {
            // `files` only when asked: listing a large snapshot's files is not free.
            let members: [(key: String, value: JSONValue)] = files.map { files in
                [("files", .array(files.map { file in
                    .object([("path", .string(file.path)), ("class", .string(file.fileClass.rawValue)),
                             ("kind", .string(file.kind))])
                }))]
            } ?? []
            console.out(JSONWriter.render(SnapshotJSON.result(snapshot, members), pretty: true))
            return
        }
        SnapshotText.block(snapshot, console: console).forEach(console.out)
        if let files {
            console.out("Files:       \(files.count)")
            for file in files {
                let suffix = file.kind == "file" ? "" : " (\(file.kind))"
                console.out("  " + file.fileClass.rawValue.padded(toLength: 6)
                    + " " + TerminalText.escape(file.path) + suffix)
            }
        }
    }
}
