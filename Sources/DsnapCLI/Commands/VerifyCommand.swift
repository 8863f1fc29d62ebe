import DsnapCore

/// `dsnap verify [SNAP...]`: checks every object, record and ref the snapshots need; exit 6 with
/// one line per problem when something is wrong.
enum VerifyCommand {
    static let spec = CommandSpec(
        name: "verify",
        summary: "Check that every object, record and ref the snapshots need is sound",
        operands: [OperandSpec("SNAP", optional: true, repeats: true,
                               help: "the snapshots to check (default: every live snapshot and autosave)")],
        options: [
            OptionSpec("all", help: "check deleted snapshots too"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let named = arguments.operands(from: 0)
        if arguments.flag("all") && !named.isEmpty {
            throw UsageError(message: "give SNAP or --all, not both", command: "verify")
        }
        let selection: VerifyDataset.Selection = !named.isEmpty ? .named(named) : arguments.flag("all") ? .all : .live
        let dataset = try invocation.openDataset()
        let report = try VerifyDataset.run(selection, in: dataset, progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(json(report), pretty: true))
        } else {
            for problem in report.problems {
                console.out(TerminalText.escape(line(problem)))
                if let fix = problem.fix { console.out("  fix: " + TerminalText.escape(fix)) }
            }
            if report.isSound && !invocation.quiet {
                console.out("verified \(SnapshotText.plural(report.snapshotsChecked, "snapshot")), "
                    + "\(SnapshotText.plural(report.objectsChecked, "object")) "
                    + "(\(ByteCount.human(report.bytesChecked))): no problems")
            }
        }
        if !report.isSound { throw StorageError.unsound(problems: report.problems.count) }
    }

    /// `corrupt object 3f2a1b2c3d4e (images/a.jpg in snapshots tagged, baseline): DETAIL`.
    static func line(_ problem: VerifyProblem) -> String {
        var text: String
        switch problem.kind {
        case .missingObject: text = "missing object"
        case .corruptObject: text = "corrupt object"
        case .reference: text = "bad reference"
        case .record: text = "bad record"
        case .interrupted: text = "interrupted"
        }
        if let object = problem.object, problem.kind == .missingObject || problem.kind == .corruptObject {
            text += " " + object.short
        }
        var place: [String] = []
        if !problem.paths.isEmpty { place.append(problem.paths.joined(separator: ", ")) }
        if !problem.snapshots.isEmpty {
            let names = problem.snapshots.map { $0.name.isEmpty ? $0.id.short : $0.name }
            place.append((names.count == 1 ? "snapshot " : "snapshots ") + names.joined(separator: ", "))
        }
        if !place.isEmpty { text += " (" + place.joined(separator: " in ") + ")" }
        return problem.detail == "missing" ? text : text + ": " + problem.detail
    }

    static func json(_ report: VerifyReport) -> JSONValue {
        .object([
            ("sound", .bool(report.isSound)),
            ("snapshots_checked", .integer(report.snapshotsChecked)),
            ("objects_checked", .integer(report.objectsChecked)),
            ("bytes_checked", .integer(report.bytesChecked)),
            ("problems", .array(report.problems.map { problem in
                .object([
                    ("kind", .string(problem.kind.rawValue)),
                    ("object", problem.object.map { .string($0.hex) } ?? .null),
                    ("paths", .array(problem.paths.map { .string(QuotedPath.json($0)) })),
                    ("snapshots", .array(problem.snapshots.map {
                        .object([("snapshot_id", .string($0.id.hex)), ("snapshot_name", .string($0.name))])
                    })),
                    ("detail", .string(problem.detail)),
                    ("fix", problem.fix.map { .string($0) } ?? .null),
                    ("message", .string(line(problem))),
                ])
            })),
        ])
    }
}
