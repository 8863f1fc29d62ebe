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
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            self = .other
            return
        }
        let ext = name[name.index(after: dot)...].lowercased()
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
