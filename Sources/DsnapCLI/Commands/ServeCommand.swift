import DsnapCore
import DsnapHTTP
import FoundationEssentials
import Synchronization

/// `dsnap serve`: the Snapshots API over HTTP for the datasets under a folder, so scripts written
/// against the hosted API run unchanged (Serve/SnapshotsAPI.swift has the endpoints).
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve",
        summary: "Serve the Snapshots REST API for the datasets under a folder",
        operands: [],
        options: [
            OptionSpec("root", value: "DIR", help: "a dataset, or a folder of datasets (default: the current folder)"),
            OptionSpec("listen", value: "ADDR:PORT",
                       help: "where to listen (default: 127.0.0.1:8080; port 0 picks a free one)"),
            OptionSpec("token-file", value: "FILE",
                       help: "require 'Authorization: Bearer TOKEN' with the token in FILE (needed off loopback)"),
            .json,
        ],
        run: run)

    static let defaultListen = "127.0.0.1:8080"

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let (host, port) = try listenAddress(arguments.value("listen") ?? defaultListen)
        let token = try arguments.value("token-file").map { try BearerToken(file: invocation.absolutePath($0)) }
        if token == nil && !isLoopback(host) {
            throw UsageError(message: "listening on '\(host)' needs a token: any machine could change the datasets",
                             command: "serve")
        }
        let root = URL(fileURLWithPath: invocation.absolutePath(arguments.value("root") ?? "."))
            .standardizedFileURL.path
        let datasets = ServedDatasets(root: root)
        let console = invocation.console
        for (path, problem) in datasets.rescan() {
            console.warning("not serving '\(path)': \(problem)")
        }
        guard !datasets.all().isEmpty else { throw ServeError.noDatasets(root: root) }

        let log = ServeLog(console: console, quiet: invocation.quiet)
        var context = invocation.context
        // A task COMPLETED means the files are on disk: the server waits for the flush itself.
        context.workTreeFlush = .wait
        let background = BackgroundOperations(log: log.line)
        let api = SnapshotsAPI(datasets: datasets, token: token, context: context, background: background)
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: HTTPServerConfiguration(host: host, port: port)) { request in
                let started = ContinuousClock.now
                let response = api.respond(request)
                log.request(request, response, since: started)
                return response
            }
        } catch {
            throw ServeError.from(error)
        }
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(server.port)"
        printBanner(url: url, datasets: datasets.all(), json: arguments.flag("json"), console: console)
        GracefulStop.arm { server.stop() }
        server.run()
        GracefulStop.disarm()
        if background.count > 0 { log.line("waiting for \(background.count) restore or clone to finish") }
        background.waitForAll()
        log.line("stopped")
    }

    private static func printBanner(url: String, datasets: [ServedDatasets.Entry], json: Bool, console: Console) {
        if json {
            console.out(JSONWriter.render(.object([
                ("url", .string(url)),
                ("datasets", .array(datasets.map { .object([("dataset_id", .string($0.id)), ("path", .string($0.root))]) })),
            ])))
        } else {
            console.out("Serving \(datasets.count) dataset\(datasets.count == 1 ? "" : "s") at \(url)/api/v1")
            for entry in datasets { console.out("  \(entry.id)  \(TerminalText.escape(entry.root))") }
        }
    }

    /// `HOST:PORT`, `[IPV6]:PORT` or a bare `PORT` (on 127.0.0.1).
    static func listenAddress(_ text: String) throws -> (String, Int) {
        var host = "127.0.0.1"
        var portText = text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = String(text[close...].dropFirst().drop { $0 == ":" })
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw UsageError(message: "option '--listen' takes ADDR:PORT (e.g. 127.0.0.1:8080), not '\(text)'",
                             command: "serve")
        }
        return (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
