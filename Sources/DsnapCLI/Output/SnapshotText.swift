import DsnapCore

/// Human renderings of snapshots: the one-line form of `log` and the block of `show`.
enum SnapshotText {
    /// Ids are shown with 12 hex digits, enough to be unique in any realistic dataset.
    static func shortID(_ snapshot: Snapshot) -> String { String(snapshot.id.hex.prefix(12)) }

    /// `1a2b3c4d5e6f  2026-03-29 12:21  manual     5 img   1 vid  name  (current)`
    static func line(_ snapshot: Snapshot, console: Console) -> String {
        let record = snapshot.record
        let date = record.createdAt.iso8601.prefix(16).replacing("T", with: " ")
        let reason = record.reason.rawValue.padded(toLength: 8)
        let counts = pad(record.nImages, 6) + " img " + pad(record.nVideos, 5) + " vid"
        var text = console.paint(shortID(snapshot), .yellow) + "  \(date)  \(reason) \(counts)  "
            + TerminalText.escape(record.name)
        if snapshot.isCurrent { text += "  " + console.paint("(current)", .green) }
        if snapshot.isRestoring { text += "  " + console.paint("(restoring)", .yellow) }
        if snapshot.isDeleted { text += "  " + console.paint("(deleted)", .red) }
        if let merged = snapshot.mergedParent, let parent = snapshot.parent {
            text += "  (merge of \(parent.hex.prefix(12)) and \(merged.hex.prefix(12)))"
        }
        return text
    }

    /// The detailed block of `dsnap show` and of `commit`/`update` results.
    static func block(_ snapshot: Snapshot, console: Console) -> [String] {
        let record = snapshot.record
        var marks: [String] = []
        if snapshot.isCurrent { marks.append(console.paint("current", .green)) }
        if snapshot.isRestoring { marks.append(console.paint("restoring", .yellow)) }
        if snapshot.isDeleted { marks.append(console.paint("deleted", .red)) }
        var lines = [console.paint("snapshot \(snapshot.id.hex)", .yellow)
            + (marks.isEmpty ? "" : " (" + marks.joined(separator: ", ") + ")")]
        lines.append("Name:        " + TerminalText.escape(record.name))
        lines.append("Dataset:     " + TerminalText.escape(snapshot.datasetName))
        lines.append("Created:     \(record.createdAt.iso8601) by \(TerminalText.escape(record.createdBy))")
        lines.append("Reason:      \(record.reason.rawValue)")
        lines.append("Media:       \(plural(record.nImages, "image")), \(plural(record.nVideos, "video"))")
        if let parent = snapshot.parent {
            lines.append((snapshot.mergedParent == nil ? "Parent:      " : "Parents:     ") + parent.hex.prefix(12)
                + (snapshot.mergedParent.map { " " + $0.hex.prefix(12) } ?? ""))
        }
        if record.trainingModelID != nil || record.trainingModelName != nil {
            lines.append("Model:       " + TerminalText.escape(record.trainingModelName ?? "-")
                + " (" + TerminalText.escape(record.trainingModelID ?? "-") + ")")
        }
        if let source = record.clonedFromDataset {
            lines.append("Cloned from: " + TerminalText.escape(source)
                + (record.clonedFromSnapshot.map { " @ \($0.prefix(12))" } ?? ""))
        }
        if !record.description.isEmpty {
            lines.append("Description: " + TerminalText.escape(record.description))
        }
        return lines
    }

    static func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    private static func pad(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
