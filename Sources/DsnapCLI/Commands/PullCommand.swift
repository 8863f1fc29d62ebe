import DsnapCore

/// `dsnap pull [NAME] [SNAP]`: fetch, then restore the remote's current snapshot (or SNAP) with
/// restore's safety rules.
enum PullCommand {
    static let spec = CommandSpec(
        name: "pull",
        summary: "Fetch from a remote, then restore its current snapshot",
        operands: [
            OperandSpec("NAME", optional: true, completion: .remote, help: "the remote (default: origin, or the only one)"),
            OperandSpec("SNAP", optional: true, help: "the snapshot to restore (default: the remote's current)"),
        ],
        options: [
            .allowUnrelated,
            OptionSpec("discard", help: "restore even with uncommitted changes, after saving them as an autosave snapshot"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let name = try RemoteReports.remoteName(arguments.operand(0), in: dataset)
        let fetched = try FetchCatalog.run(remote: name, in: dataset, context: invocation.context,
                                           allowUnrelated: arguments.flag("allow-unrelated"),
                                          progress: invocation.progressSink())
        let console = invocation.console
        // Refusals now; the summary only once the restore went ahead (a refused pull prints no data).
        RemoteReports.warnAboutRefused(fetched.merge, from: name, console: console)
        guard let reference = arguments.operand(1) ?? fetched.remoteCurrent?.hex else {
            throw RemoteError.empty(name: name, url: fetched.url)
        }
        let result: RestoreResult
        do {
            result = try RestoreSnapshot.perform(.snapshot(reference), discard: arguments.flag("discard"), in: dataset,
                                                 writer: invocation.snapshotWriter, checkout: AtomicCheckout(),
                                                 context: invocation.context, progress: invocation.progressSink())
        } catch let refusal as RestoreError {
            throw PullRefused(refusal)
        }
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([("remote", .string(name)), ("url", .string(fetched.url))]
                + RemoteReports.mergeJSON(fetched.merge) + [
                ("snapshot", SnapshotJSON.object(result.target)),
                RestoreReport.autosaveJSON(result.autosave),
            ] + RestoreReport.filesJSON(result.stats)), pretty: true))
            return
        }
        RestoreReport.announce(autosave: result.autosave, console: console)
        guard !invocation.quiet else { return }
        RemoteReports.printSummary(fetched.merge, from: name, console: console, quiet: false)
        console.out("restored \(console.paint(SnapshotText.shortID(result.target), .yellow)) "
            + TerminalText.escape(result.target.record.name))
        console.out("  \(SnapshotText.plural(result.stats.filesWritten, "file")) written, "
            + "\(result.stats.filesRemoved) removed; now current")
    }
}

/// A refused restore, its hint in pull's words (`dsnap pull --discard`, not `dsnap restore`).
private struct PullRefused: DsnapError {
    let refusal: RestoreError

    init(_ refusal: RestoreError) { self.refusal = refusal }

    var kind: ErrorKind { refusal.kind }
    var message: String { refusal.message }
    var hint: String? {
        refusal.hint?.replacing("'dsnap restore --discard SNAP'", with: "'dsnap pull --discard'")
    }
}
