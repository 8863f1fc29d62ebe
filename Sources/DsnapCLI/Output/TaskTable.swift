import DsnapCore

/// `dsnap tasks` as a table, one task a line under a header, columns aligned as `docker ps` and
/// `kubectl get` align theirs:
///
///     TYPE              STATUS     STARTED (UTC)        DURATION  SNAPSHOT      FILES  SIZE
///     SNAPSHOT_RESTORE  COMPLETED  2026-03-03 10:32:00  2.3 s     65a0ecf99516  2/2    800.0 MiB
///
/// A last column, NOTE, appears when a task has one: a failed task's error, where a clone
/// listed in its source went, or the command a RUN ran.
enum TaskTable {
    static func lines(_ tasks: [TaskRecord], datasetName: String, now: Timestamp, console: Console) -> [String] {
        guard !tasks.isEmpty else { return [] }
        var rows = [["TYPE", "STATUS", "STARTED (UTC)", "DURATION", "SNAPSHOT", "FILES", "SIZE", "NOTE"]]
        for task in tasks { rows.append(cells(task, datasetName: datasetName, now: now)) }
        let showNote = rows.dropFirst().contains { !$0[7].isEmpty }
        let columns = showNote ? 8 : 7
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.enumerated().map { number, row in
            var line = ""
            for column in 0..<columns {
                let last = column == columns - 1
                var cell = last ? row[column] : row[column].padded(toLength: widths[column])
                if column == 1 && number > 0 { cell = console.paint(cell, style(tasks[number - 1].status)) }
                line += cell + (last ? "" : "  ")
            }
            return line.trimmedTrailingSpaces
        }
    }

    private static func cells(_ task: TaskRecord, datasetName: String, now: Timestamp) -> [String] {
        let started = String(task.startedAt.iso8601.prefix(19).replacing("T", with: " "))
        // A running task shows how long it has run so far; one that was interrupted, nothing.
        let end = task.finishedAt ?? (task.status == .running ? now : nil)
        let duration = end.map {
            DurationText.human(seconds: Double($0.microseconds - task.startedAt.microseconds) / 1e6)
        } ?? "-"
        var files = "\(task.filesDone)" + (task.filesTotal.map { "/\($0)" } ?? "")
        var size = ByteCount.human(task.bytesDone)
        var note = task.error.map(TerminalText.escape) ?? ""
        if let run = task.run {
            // A run moves no files itself (its snapshots and restore are tasks of their own):
            // what it ran, and how that ended, say more.
            files = "-"
            size = "-"
            // Unquoted: the line is quoted for a shell already, and quotes around quotes blur it.
            let command = TerminalText.escape(run.command)
            note = note.isEmpty ? command + (run.exitStatus.map { " (exit status \($0))" } ?? "") : command + ": " + note
        }
        if task.type == .clone && task.datasetName != datasetName {
            let into = "into '" + TerminalText.escape(task.datasetName) + "'"
            note = note.isEmpty ? into : into + ": " + note
        }
        return [task.type.rawValue, task.status.rawValue, started, duration,
                task.snapshotID.map { String($0.prefix(12)) } ?? "-", files, size, note]
    }

    private static func style(_ status: TaskRecord.Status) -> Style {
        switch status {
        case .completed: return .green
        case .failed: return .red
        case .running: return .yellow
        }
    }
}

private extension String {
    /// Without the spaces that pad a short last column.
    var trimmedTrailingSpaces: String {
        var text = Substring(self)
        while text.hasSuffix(" ") { text = text.dropLast() }
        return String(text)
    }
}
