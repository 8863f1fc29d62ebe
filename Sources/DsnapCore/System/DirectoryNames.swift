import Glibc

/// Names in a folder, read with `readdir(3)` (no Foundation, no stat per entry).
enum DirectoryNames {
    /// The name of one `readdir` entry.
    static func name(of item: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: item.pointee.d_name) { raw in
            String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
    }

    /// Every name in `folder` but `.` and `..`; empty when it cannot be read.
    static func list(_ folder: String) -> [String] {
        guard let stream = opendir(folder) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let item = readdir(stream) {
            let name = name(of: item)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
