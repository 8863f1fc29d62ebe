/// What a dataset file is, judged by its extension (case-insensitive).
public enum FileClass: String, Sendable, CaseIterable {
    case image, video, json, other

    /// Extensions counted as images in `n_images` (documented in dsnap-commit(1)).
    public static let imageExtensions: Set<String> = [
        "jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "heif", "avif",
    ]
    /// Extensions counted as videos in `n_videos`.
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "avi", "mkv", "webm", "mpg", "mpeg", "wmv", "flv", "3gp", "ts", "mts",
    ]

    public init(path: String) {
        self.init(utf8: path.utf8)
    }

    /// Classifies a path given as UTF-8 bytes (an index entry's, read in place).
    init<Bytes: BidirectionalCollection>(utf8 path: Bytes) where Bytes.Element == UInt8 {
        // On bytes, not Characters: `commit` classifies every file of the dataset, and splitting
        // and lowercasing 20,000 paths as Strings took ~50 ms. The extension (lowercased, ASCII:
        // every known one is, so nothing else can match) is packed into an integer and looked up.
        var key: UInt64 = 0
        var length = 0
        var position = path.endIndex
        while position != path.startIndex {
            let previous = path.index(before: position)
            let byte = path[previous]
            if byte == UInt8(ascii: "/") { break }
            if byte == UInt8(ascii: ".") {
                // A leading dot names a hidden file, not an extension.
                let isLeading = previous == path.startIndex || path[path.index(before: previous)] == UInt8(ascii: "/")
                self = length > 0 && !isLeading ? Self.byExtensionKey[key] ?? .other : .other
                return
            }
            length += 1
            guard length <= 5 else { break }
            key = key << 8 | UInt64(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
            position = previous
        }
        self = .other
    }

    /// A lowercase extension packed into an integer, first byte lowest (as `init(utf8:)`, reading
    /// backwards, builds it).
    private static func key(_ ext: String) -> UInt64 {
        ext.utf8.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static let byExtensionKey: [UInt64: FileClass] = {
        var table: [UInt64: FileClass] = [key("json"): .json]
        for ext in imageExtensions { table[key(ext)] = .image }
        for ext in videoExtensions { table[key(ext)] = .video }
        return table
    }()

    /// Media are images and videos; JSON sidecars and other files are not.
    public var isMedia: Bool { self == .image || self == .video }
}
