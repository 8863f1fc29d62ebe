import DsnapCore

/// `dsnap show SNAP`: one snapshot in detail, optionally with its files; `dsnap show SNAP:PATH`:
/// one file's content, byte for byte, or one folder's listing, as `git show REV:PATH`.
enum ShowCommand {
    static let spec = CommandSpec(
        name: "show",
        summary: "Show one snapshot in detail, or a file or folder of it",
        operands: [OperandSpec("SNAP[:PATH]", help: "an id, a unique id prefix (4+ hex digits), a unique name, or 'current'; "
                                   + "with :PATH, that file's content or that folder's listing (PATH from the dataset folder; ./ and ../ from here)")],
        options: [
            OptionSpec("files", help: "also list the snapshot's files, with their class (image, video, json, other)"),
            .json,
        ],
        run: run)

    /// git's test for binary content (`buffer_is_binary`): a NUL in the first 8,000 bytes.
    static let binaryProbeLength = 8000

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let catalog = SnapshotCatalog(dataset: dataset)
        let operand = arguments.operand(0)!
        if let (reference, path) = try splitPath(operand, catalog: catalog) {
            try showPath(path, of: reference, arguments, invocation, dataset: dataset, catalog: catalog)
            return
        }
        let snapshot = try catalog.resolve(operand)
        let files = arguments.flag("files") ? try catalog.files(of: snapshot) : nil
        let console = invocation.console
        if arguments.flag("json") {
            // `files` only when asked: listing a large snapshot's files is not free.
            let members: [(key: String, value: JSONValue)] = files.map { files in
                [("files", .array(files.map { file in
                    .object([("path", .string(QuotedPath.json(file.path))), ("class", .string(file.fileClass.rawValue)),
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
                    + " " + QuotedPath.text(file.path) + suffix)
            }
        }
    }

    /// `SNAP:PATH` as its two parts, with PATH from the dataset folder; nil for a plain SNAP.
    /// A snapshot whose name holds a colon is still found by that name: the whole operand is
    /// tried first, then split at its first colon, as git splits `REV:PATH`.
    private static func splitPath(_ operand: String, catalog: SnapshotCatalog) throws -> (String, String)? {
        guard let colon = operand.firstIndex(of: ":") else { return nil }
        do {
            _ = try catalog.resolve(operand)
            return nil
        } catch SnapshotError.notFound {}
        let reference = String(operand[..<colon])
        let path = String(operand[operand.index(after: colon)...])
        guard !reference.isEmpty else {
            throw UsageError(message: "no snapshot before ':' in '\(operand)'",
                             command: "show", suggestions: ["name one, as in 'dsnap show current\(operand)'"])
        }
        return (reference, path)
    }

    private static func showPath(_ typed: String, of reference: String, _ arguments: ParsedArguments,
                                 _ invocation: Invocation, dataset: Dataset, catalog: SnapshotCatalog) throws {
        if arguments.flag("files") {
            throw UsageError(message: "option '--files' lists a whole snapshot; SNAP:PATH shows one file or folder",
                             command: "show")
        }
        let snapshot = try catalog.resolve(reference)
        let path = try datasetPath(typed, dataset: dataset, invocation: invocation)
        let content = try catalog.content(at: path, of: snapshot, reference: reference)
        let console = invocation.console
        switch content {
        case let .file(entry) where arguments.flag("json"):
            console.out(JSONWriter.render(.object([
                ("snapshot_id", .string(snapshot.id.hex)),
                ("path", .string(QuotedPath.json(entry.path))),
                ("kind", .string(entry.kind)),
                ("class", entry.fileClass.map { .string($0.rawValue) } ?? .null),
                ("size", .integer(try catalog.size(of: entry))),
            ]), pretty: true))
        case let .file(entry):
            var first = true
            try catalog.readFile(entry) { chunk in
                // Decided on the first chunk, before the pager would start: binary content goes
                // straight to the terminal, as git prints it, never through less.
                if first {
                    first = false
                    if chunk.prefix(binaryProbeLength).contains(0) { invocation.pager?.disarm() }
                }
                console.outBytes(chunk)
            }
        case let .folder(folder, entries) where arguments.flag("json"):
            console.out(JSONWriter.render(.object([
                ("snapshot_id", .string(snapshot.id.hex)),
                ("path", .string(QuotedPath.json(folder))),
                ("kind", .string("folder")),
                ("entries", .array(entries.map { entry in
                    .object([("path", .string(QuotedPath.json(entry.path))),
                             ("class", entry.fileClass.map { .string($0.rawValue) } ?? .null),
                             ("kind", .string(entry.kind))])
                })),
            ]), pretty: true))
        case let .folder(_, entries):
            // Names alone, one a line, folders with a trailing `/`, as git lists a tree (without
            // its `tree REV:PATH` header: the lines are the data).
            for entry in entries {
                console.out(QuotedPath.text(entry.name) + (entry.isFolder ? "/" : ""))
            }
        }
    }

    /// PATH as git reads it after `REV:`: from the dataset folder, unless it starts with `./` or
    /// `../`, which are from the working folder.
    private static func datasetPath(_ typed: String, dataset: Dataset, invocation: Invocation) throws -> String {
        if typed == "." || typed == ".." || typed.hasPrefix("./") || typed.hasPrefix("../") {
            return try invocation.datasetPath(typed, in: dataset, command: "show")
        }
        // `images/` names the folder `images`, as in git.
        var path = Substring(DatasetPathOperand.unquoted(typed, unlessFileAt: dataset.root + "/" + typed))
        while path.hasSuffix("/") && path.count > 1 { path = path.dropLast() }
        return String(path)
    }
}
