import FoundationEssentials

/// What a remote location is: a URL with a scheme (`file://`, `git://`, `ssh://`, `https://`),
/// git's scp-style `[user@]host:path`, or a path.
public enum RemoteURL {
    /// True for anything that names a remote rather than a snapshot: used by `dsnap clone` to
    /// tell `clone URL` from `clone SNAP` (a snapshot id or name never contains `/` or `:`).
    public static func isRemote(_ text: String) -> Bool {
        text.contains("://") || isPath(text) || isScpStyle(text)
    }

    /// A path: starts with `/`, `./`, `../` or `~/`, or is `.` or `..`.
    static func isPath(_ text: String) -> Bool {
        text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~/")
            || text == "." || text == ".."
    }

    /// `host:path` or `user@host:path`, as git reads it: a colon before any slash.
    static func isScpStyle(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        return !text[..<colon].contains("/")
    }

    /// As stored for a remote: paths (and bare names of folders that exist, as git reads them)
    /// made absolute, so the dataset may run from anywhere; URLs as given.
    static func normalized(_ url: String, from workingDirectory: String) -> String {
        if isPath(url) { return absolutePath(url, from: workingDirectory) }
        if !url.contains("://"), FileManager.default.fileExists(atPath: workingDirectory + "/" + url) {
            return absolutePath("./" + url, from: workingDirectory)
        }
        return url
    }

    static func absolutePath(_ path: String, from workingDirectory: String) -> String {
        var expanded = path
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
            expanded = home + path.dropFirst(1)
        }
        let absolute = expanded.hasPrefix("/") ? expanded : workingDirectory + "/" + expanded
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// The folder a path or `file://` URL names; nil for network URLs.
    static func localPath(_ url: String) -> String? {
        if url.hasPrefix("file://") { return String(url.dropFirst("file://".count)) }
        return url.hasPrefix("/") ? url : nil
    }

    /// The name a clone of `url` gets by default: its last component without `.git`.
    static func defaultFolderName(_ url: String) -> String {
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        var last = String(text.split(whereSeparator: { $0 == "/" || $0 == ":" }).last ?? "dataset")
        if last.hasSuffix(".git") { last.removeLast(4) }
        return last.isEmpty ? "dataset" : last
    }
}
