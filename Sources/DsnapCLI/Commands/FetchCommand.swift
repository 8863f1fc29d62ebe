import DsnapCore

/// `dsnap fetch [NAME]`: the remote's snapshots, records and tombstones into this dataset's
/// catalog; the work tree and the current snapshot stay as they are.
enum FetchCommand {
    static let spec = CommandSpec(
        name: "fetch",
        summary: "Bring a remote's snapshots and records into this dataset's catalog",
        operands: [OperandSpec("NAME", optional: true, completion: .remote, help: "the remote (default: origin, or the only one)")],
        options: [.allowUnrelated, .json],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let name = try RemoteReports.remoteName(arguments.operand(0), in: dataset)
        let result = try FetchCatalog.run(remote: name, in: dataset, context: invocation.context,
                                          allowUnrelated: arguments.flag("allow-unrelated"),
                                          progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([("remote", .string(result.remote)), ("url", .string(result.url))]
                + RemoteReports.mergeJSON(result.merge)
                + [("remote_current_snapshot_id", result.remoteCurrent.map { .string($0.hex) } ?? .null)]), pretty: true))
            return
        }
        RemoteReports.printMerge(result.merge, from: name, console: console, quiet: invocation.quiet)
    }
}
