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
        // and lowercasing 20,000 paths as Strings took ~50 ms. Every known extension is ASCII, so
        // ASCII lowercasing finds exactly what Unicode lowercasing would.
        var utf8 = path[...]
        if let slash = utf8.lastIndex(of: UInt8(ascii: "/")) { utf8 = utf8[utf8.index(after: slash)...] }
        guard let dot = utf8.lastIndex(of: UInt8(ascii: ".")), dot != utf8.startIndex else {
            self = .other
            return
        }
        let suffix = utf8[utf8.index(after: dot)...]
        guard suffix.count <= 5 else {
            self = .other
            return
        }
        let ext = String(decoding: suffix.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        if Self.imageExtensions.contains(ext) {
            self = .image
        } else if Self.videoExtensions.contains(ext) {
            self = .video
        } else if ext == "json" {
            self = .json
        } else {
            self = .other
        }
    }

    /// Media are images and videos; JSON sidecars and other files are not.
    public var isMedia: Bool { self == .image || self == .video }
}
