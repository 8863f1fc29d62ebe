import Glibc

/// Names in a folder, read with `readdir(3)` (no Foundation, no stat per entry).
enum DirectoryNames {
    /// The name of one `readdir` entry.
    static func name(of item: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: item.pointee.d_name) { raw in
            PathBytes.string(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
    }

    /// Every name in `folder` but `.` and `..`; empty when it cannot be read.
    static func list(_ folder: String) -> [String] {
        guard let stream = PathBytes.withCString(folder, { opendir($0) }) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let item = readdir(stream) {
            let name = name(of: item)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
