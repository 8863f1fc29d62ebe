import DsnapCore
import FoundationEssentials
import Glibc

/// `dsnap diff [A [B]] [-- PATH...]`: files added, removed, modified and renamed, and for JSON
/// files the changes field by field. No operand: current snapshot -> work tree; one: A -> work
/// tree; two: A -> B. B may be `PATH:SNAP`, a snapshot of the dataset at PATH (a clone, say).
enum DiffCommand {
    static let spec = CommandSpec(
        name: "diff",
        summary: "Show what changed between snapshots (or a snapshot and the work tree), down to each JSON field",
        operands: [
            OperandSpec("A", optional: true, completion: .snapshot, help: "the old side (default: current); SNAP^ is SNAP's parent, SNAP^2 a merge's second"),
            OperandSpec("B", optional: true, completion: .snapshot, help: "the new side (default: the work tree); PATH:SNAP names a snapshot of another dataset"),
        ],
        trailing: OperandSpec("PATH", help: "limit the diff to these folders or files"),
        options: [
            OptionSpec("stat", help: "print the summary only"),
            OptionSpec("name-status", help: "print one line per file: A, D, M, R OLD NEW, T"),
            .json,
            OptionSpec("json-patch", help: "print, per JSON file changed on both sides, an RFC 6902 patch from A to B"),
            OptionSpec("by", value: "POINTER", help: "tally how values under a JSON Pointer (e.g. /labels) changed across files"),
            OptionSpec("array-key", value: "KEY", help: "match array elements that are objects by their member KEY (e.g. id)"),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let formats = ["stat", "name-status", "json", "json-patch"].filter(arguments.flag)
        if formats.count > 1 {
            throw UsageError(message: "options '--\(formats[0])' and '--\(formats[1])' cannot be used together",
                             command: "diff")
        }
        let pointer = arguments.value("by")
        if let pointer, JSONPointer.tokens(pointer) == nil {
            throw UsageError(message: "'\(pointer)' is not a JSON Pointer: it must start with '/'", command: "diff")
        }
        if pointer != nil, let format = formats.first, format == "name-status" || format == "json-patch" {
            throw UsageError(message: "option '--by' cannot be used with '--\(format)'", command: "diff")
        }
        if let key = arguments.value("array-key"), key.isEmpty {
            throw UsageError(message: "option '--array-key' needs a member name", command: "diff")
        }

        let dataset = try invocation.openDataset()
        let catalog = SnapshotCatalog(dataset: dataset)
        let old = try snapshot(arguments.operand(0) ?? "current", catalog: catalog)
        let to: DiffEndpoint
        if let reference = arguments.operand(1) {
            to = try endpoint(reference, dataset: dataset, invocation: invocation)
        } else {
            to = .workTree(root: dataset.root)
        }
        var paths = try arguments.trailingOperands.map { try invocation.datasetPath($0, in: dataset, command: "diff") }
        // The dataset's own folder among the paths (`-- .` at its root) means everything.
        if paths.contains("") { paths = [] }
        let options = DiffOptions(paths: paths, arrayKey: arguments.value("array-key"), tallyPointer: pointer)
        let diff = try DiffDatasets.run(in: dataset, from: old, oldGitDir: dataset.gitDir, to: to, options: options)

        let console = invocation.console
        let display = DisplayPath(root: dataset.root, workingDirectory: invocation.workingDirectory)
        for warning in diff.warnings { console.warning(warning) }
        switch formats.first {
        case "json": console.out(JSONWriter.render(DiffRendering.json(diff), pretty: true))
        case "json-patch": console.out(JSONWriter.render(DiffRendering.jsonPatch(diff), pretty: true))
        case "name-status": DiffRendering.nameStatus(diff).forEach(console.out)
        case "stat": DiffRendering.text(diff, console: console, summaryOnly: true, paths: display).forEach(console.out)
        default: DiffRendering.text(diff, console: console, summaryOnly: false, paths: display).forEach(console.out)
        }
    }

    /// A snapshot of this dataset, or `PATH:SNAP` naming one of the dataset at PATH.
    private static func endpoint(_ reference: String, dataset: Dataset, invocation: Invocation) throws -> DiffEndpoint {
        if let colon = reference.firstIndex(of: ":") {
            let path = invocation.absolutePath(String(reference[..<colon]))
            if FileManager.default.fileExists(atPath: path + "/" + Dataset.gitDirName + "/HEAD") {
                let other = try Dataset.open(root: URL(fileURLWithPath: path).standardizedFileURL.path)
                let snapshot = try SnapshotCatalog(dataset: other).resolve(String(reference[reference.index(after: colon)...]))
                return .snapshot(snapshot, gitDir: other.gitDir)
            }
        }
        return .snapshot(try snapshot(reference, catalog: SnapshotCatalog(dataset: dataset)), gitDir: dataset.gitDir)
    }

    /// A snapshot of this dataset; `SNAP^` is its parent, the first of a merge snapshot's two,
    /// and `SNAP^2` a merge snapshot's second, as git names them: `dsnap diff M^ M` is what a
    /// merge brought in.
    private static func snapshot(_ reference: String, catalog: SnapshotCatalog) throws -> Snapshot {
        guard let caret = reference.lastIndex(of: "^"), reference.index(after: caret) == reference.endIndex
                || ["1", "2"].contains(String(reference[reference.index(after: caret)...])) else {
            return try catalog.resolve(reference)
        }
        // A snapshot whose name holds the caret wins: names are any text.
        if let named = try? catalog.resolve(reference) { return named }
        let child = try catalog.resolve(String(reference[..<caret]))
        let second = reference.hasSuffix("^2")
        guard let parent = second ? child.mergedParent : child.parent else {
            throw SnapshotError.notFound(reference: reference)
        }
        return try catalog.snapshot(parent)
    }
}
