import DsnapCore

/// Renderings of a merge: `merge`'s report, and the conflicts `status` lists. The JSON shape of a
/// conflict lives in one place (`MergeConflict.json`).
enum MergeReport {
    static func json(_ result: MergeResult) -> JSONValue {
        .object([
            ("snapshot", result.merged.map(SnapshotJSON.object) ?? .null),
            ("ours", SnapshotJSON.object(result.ours)),
            ("theirs", SnapshotJSON.object(result.theirs)),
            ("theirs_dataset", result.theirsDataset.map(JSONValue.string) ?? .null),
            ("base_snapshot_id", result.base.map { .string($0.hex) } ?? .null),
            ("up_to_date", .bool(result.upToDate)),
            ("dry_run", .bool(result.dryRun)),
            ("taken", .array(result.taken.map { .string($0) })),
            ("merged_fields", .array(result.fieldMerged.map { .string($0) })),
            ("conflicts", .array(result.conflicts.map(\.json))),
            ("open", .integer(result.unresolved.count)),
            RestoreReport.autosaveJSON(result.autosave),
        ] + RestoreReport.filesJSON(result.stats))
    }

    static func text(_ result: MergeResult, console: Console, paths: DisplayPath, quiet: Bool) -> [String] {
        let theirs = "'\(TerminalText.escape(result.theirs.record.name))' (\(console.paint(SnapshotText.shortID(result.theirs), .yellow)))"
        guard let base = result.base else {
            return quiet ? [] : ["already up to date: \(theirs) is in the current snapshot's history"]
        }
        var lines: [String] = []
        // Conflicts are listed even with --quiet: they are what the user must act on.
        for conflict in result.conflicts where conflict.resolution == nil || !quiet {
            lines.append(line(conflict, console: console, paths: paths))
        }
        guard !quiet else { return lines }
        let verb = result.dryRun ? "would merge" : "merging"
        var header = ["\(verb) \(theirs)"]
        if let other = result.theirsDataset { header.append("of " + TerminalText.escape(other)) }
        header.append("into '\(TerminalText.escape(result.ours.record.name))' (\(SnapshotText.shortID(result.ours))), base \(base.short)")
        let files = Set(result.conflicts.map(\.path)).count
        var summary = "  \(SnapshotText.plural(result.taken.count, "file")) taken from theirs, "
            + "\(SnapshotText.plural(result.fieldMerged.count, "sidecar")) merged field by field, "
            + "\(SnapshotText.plural(result.conflicts.count, "conflict")) in \(SnapshotText.plural(files, "file"))"
        let settled = result.conflicts.count - result.unresolved.count
        if settled > 0 { summary += " (\(settled) settled by --prefer)" }
        lines = [header.joined(separator: " "), summary] + lines
        if let merged = result.merged {
            lines.append("merged: snapshot \(console.paint(SnapshotText.shortID(merged), .yellow)) (2 parents), now current")
        } else if result.dryRun {
            lines.append("dry run: nothing was changed")
        }
        return lines
    }

    /// `CONFLICT labels/a.json#/label: base "cat", ours "dog", theirs "cow"`.
    static func line(_ conflict: MergeConflict, console: Console, paths: DisplayPath, edited: Bool = false) -> String {
        let label: String
        if edited {
            label = console.paint("edited  ", .green)
        } else if let side = conflict.resolution {
            label = console.paint(side == .ours ? "ours    " : "theirs  ", .green)
        } else {
            label = console.paint("CONFLICT", .red)
        }
        var text = "\(label) \(selector(conflict, paths: paths)): "
        if let reason = conflict.reason { text += reason + "; " }
        text += "base \(value(conflict.base)), ours \(value(conflict.ours)), theirs \(value(conflict.theirs))"
        return text
    }

    static func selector(_ conflict: MergeConflict, paths: DisplayPath) -> String {
        TerminalText.escape(paths(conflict.path) + (conflict.pointer.map { "#" + $0 } ?? ""))
    }

    /// A side's value on one line: compact JSON, cut at 60 characters; a file's blob; `(none)`.
    static func value(_ value: MergeConflict.Value?) -> String {
        switch value {
        case nil: return "(none)"
        case let .file(version)?: return "blob \(version.id.short)"
        case let .json(document)?:
            let text = JSONWriter.render(document)
            return TerminalText.escape(text.count > 60 ? String(text.prefix(57)) + "..." : text)
        }
    }

    /// `status --json`'s member `merge`.
    static func statusJSON(_ progress: MergeProgress?) -> JSONValue {
        guard let progress else { return .null }
        let state = progress.state
        return .object([
            ("theirs_snapshot_id", .string(state.theirs.hex)),
            ("theirs_name", .string(state.theirsName)),
            ("theirs_dataset", state.theirsDataset.map(JSONValue.string) ?? .null),
            ("ours_snapshot_id", .string(state.ours.hex)),
            ("base_snapshot_id", .string(state.base.hex)),
            ("interrupted", .bool(state.phase == .applying)),
            ("open", .integer(progress.open.count)),
            ("conflicts", .array(state.conflicts.map { conflict in
                guard case var .object(members) = conflict.json else { return conflict.json }
                members.append(("edited_by_hand", .bool(progress.editedByHand.contains(conflict.path))))
                return .object(members)
            })),
        ])
    }

    /// `status`'s lines about an unfinished merge.
    static func statusText(_ progress: MergeProgress, console: Console, paths: DisplayPath) -> [String] {
        let state = progress.state
        var lines = ["Merging:  \(state.theirs.short) " + TerminalText.escape(state.theirsName)
            + " into \(state.ours.short): \(SnapshotText.plural(progress.open.count, "conflict")) open (of \(state.conflicts.count))"]
        for conflict in state.conflicts {
            let edited = conflict.resolution == nil && progress.editedByHand.contains(conflict.path)
            lines.append("  " + line(conflict, console: console, paths: paths, edited: edited))
        }
        lines.append(progress.open.isEmpty ? "          run 'dsnap merge --continue' to take the merge snapshot"
                     : "          settle them with 'dsnap merge --resolve ours|theirs [-- PATH[#POINTER]...]', then 'dsnap merge --continue'")
        return lines
    }
}
