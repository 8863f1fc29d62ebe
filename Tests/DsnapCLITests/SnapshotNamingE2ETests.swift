import Foundation
import XCTest

/// Names and descriptions as data (any Unicode, quotes, control characters, a leading dash), and
/// how SNAP operands resolve: full id, 4+ hex prefix, unique name, `current`.
final class SnapshotNamingE2ETests: XCTestCase {
    /// Texts that must come back exactly, scalar for scalar (Swift's `==` would equate NFC and NFD).
    static let awkwardTexts = [
        "Ünïcödé 猫 🐱",
        "say \"hi\" and 'bye'",
        "back\\slash and a literal \\n",
        "line one\nline two",
        "col1\tcol2",
        "cr\r\nlf",
        "esc \u{1B}[31mred\u{1B}[0m and bell \u{07}",
        "NFD e\u{301} vs NFC \u{E9}",
        "  spaces around  ",
        "{\"looks\": \"like json\"}",
        "right-to-left \u{202E}txt.exe and zero\u{200B}width",
        "line\u{2028}separator",
    ]

    private func assertSameScalars(_ actual: Any?, _ expected: String, _ context: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        guard let actual = actual as? String else {
            XCTFail("\(context): not a string: \(String(describing: actual))", file: file, line: line)
            return
        }
        XCTAssertEqual(Array(actual.unicodeScalars), Array(expected.unicodeScalars),
                       "\(context): \(actual.debugDescription) != \(expected.debugDescription)", file: file, line: line)
    }

    func testAwkwardNamesAndDescriptionsRoundTripThroughJSON() throws {
        let (dataset, creation) = try makeDataset()
        let creationID = try XCTUnwrap(creation["snapshot_id"] as? String)
        for (index, text) in Self.awkwardTexts.enumerated() {
            let name = "\(index) \(text)"
            let description = "description of \(text)"
            let now = String(format: "2026-03-01T10:01:%02dZ", index)
            let committed = try commit(["--name", name, "--description", description], in: dataset.path, now: now)
            assertSameScalars(committed["snapshot_name"], name, "commit --json name")
            assertSameScalars(committed["description"], description, "commit --json description")
            let id = try XCTUnwrap(committed["snapshot_id"] as? String)

            // The name itself is a SNAP operand, and show reads back what commit stored.
            let shown = try show(name, in: dataset.path)
            assertSameScalars(shown["snapshot_id"], id, "show NAME")
            assertSameScalars(shown["snapshot_name"], name, "show --json name")
            assertSameScalars(shown["description"], description, "show --json description")

            // update stores them as faithfully as commit.
            let renamed = "renamed \(text)"
            let updated = try snapshotObject(try E2E.run(["update", creationID, "--name", renamed, "--description", text,
                                                          "--json"], in: dataset.path))
            assertSameScalars(updated["snapshot_name"], renamed, "update --json name")
            assertSameScalars(updated["description"], text, "update --json description")
        }
        // And log carries all of them; show reads back the last update.
        let creationNow = try show(creationID, in: dataset.path)
        assertSameScalars(creationNow["snapshot_name"], "renamed " + Self.awkwardTexts.last!, "show after update")
        assertSameScalars(creationNow["description"], Self.awkwardTexts.last!, "show after update")
        let names = try log(in: dataset.path).compactMap { $0["snapshot_name"] as? String }
        for (index, text) in Self.awkwardTexts.enumerated() {
            XCTAssertTrue(names.contains { Array($0.unicodeScalars) == Array("\(index) \(text)".unicodeScalars) },
                          "log --json lacks \(text.debugDescription)")
        }
    }

    func testValuesStartingWithADashAreValuesNotOptions() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)

        let separate = try commit(["--name", "-leading", "--description", "--not-an-option"], in: dataset.path,
                                  now: "2026-03-01T10:00:01Z")
        assertSameScalars(separate["snapshot_name"], "-leading", "--name -leading")
        assertSameScalars(separate["description"], "--not-an-option", "--description --not-an-option")

        let inline = try commit(["--name=-x", "--description=-d"], in: dataset.path, now: "2026-03-01T10:00:02Z")
        assertSameScalars(inline["snapshot_name"], "-x", "--name=-x")
        assertSameScalars(inline["description"], "-d", "--description=-d")

        let short = try commit(["-m", "-m", "-d", "-"], in: dataset.path, now: "2026-03-01T10:00:03Z")
        assertSameScalars(short["snapshot_name"], "-m", "-m -m")
        assertSameScalars(short["description"], "-", "-d -")

        let equals = try commit(["--name=a=b", "-dx=y"], in: dataset.path, now: "2026-03-01T10:00:04Z")
        assertSameScalars(equals["snapshot_name"], "a=b", "--name=a=b")
        assertSameScalars(equals["description"], "x=y", "-dx=y")

        let updated = try snapshotObject(try E2E.run(["update", id, "--name", "-renamed", "--json"], in: dataset.path))
        assertSameScalars(updated["snapshot_name"], "-renamed", "update --name -renamed")
        // A name starting with a dash is reachable as an operand after `--`.
        let dashed = try snapshotObject(try E2E.run(["show", "--json", "--", "-renamed"], in: dataset.path))
        assertSameScalars(dashed["snapshot_id"], id, "show -- -renamed")
    }

    func testAnEmptyNameIsAUsageErrorAndChangesNothing() throws {
        let (dataset, _) = try makeDataset()
        let before = try E2E.run(["log", "--json"], in: dataset.path).stdout
        let head = try E2E.git(["rev-parse", "HEAD"], dataset: dataset.path).stdout
        expectError(try E2E.run(["commit", "-m", ""], in: dataset.path, now: "2026-03-01T10:00:01Z"), exit: 2,
                    mentioning: ["name"])
        expectError(try E2E.run(["commit", "--name="], in: dataset.path, now: "2026-03-01T10:00:01Z"), exit: 2)
        expectError(try E2E.run(["update", "current", "--name", ""], in: dataset.path), exit: 2, mentioning: ["name"])
        XCTAssertEqual(try E2E.run(["log", "--json"], in: dataset.path).stdout, before)
        XCTAssertEqual(try E2E.git(["rev-parse", "HEAD"], dataset: dataset.path).stdout, head)
        // An empty description is allowed: it clears the description.
        try snapshotObject(try E2E.run(["update", "current", "-d", "words", "--json"], in: dataset.path))
        let cleared = try snapshotObject(try E2E.run(["update", "current", "-d", "", "--json"], in: dataset.path))
        XCTAssertEqual(cleared["description"] as? String, "")
    }

    func testControlCharactersAreEscapedInHumanOutput() throws {
        let (dataset, _) = try makeDataset()
        let name = "first\nsecond"
        let description = "tab\there\u{1B}[31m back\\slash"
        let committed = expect(try E2E.run(["commit", "-m", name, "-d", description], in: dataset.path,
                                           now: "2026-03-01T10:00:01Z"), exit: 0)
        XCTAssertTrue(committed.stdout.contains("first\\nsecond"), committed.transcript)
        XCTAssertFalse(committed.stdout.split(separator: "\n").contains { $0 == "second" }, committed.transcript)

        let log = expect(try E2E.run(["log"], in: dataset.path), exit: 0)
        let logLines = log.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(logLines.count, 2, "one line per snapshot, never a raw line break\n\(log.transcript)")
        XCTAssertTrue(logLines.first?.contains("first\\nsecond") ?? false, log.transcript)

        let show = expect(try E2E.run(["show", "current"], in: dataset.path), exit: 0)
        let showLines = show.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(showLines.contains("Name:        first\\nsecond"), show.transcript)
        XCTAssertTrue(showLines.contains("Description: tab\\there\\x1b[31m back\\\\slash"), show.transcript)
        XCTAssertFalse(showLines.contains("second"), show.transcript)

        let updated = expect(try E2E.run(["update", "current", "-m", "a\rb\u{7F}c"], in: dataset.path), exit: 0)
        XCTAssertTrue(updated.stdout.hasSuffix(": a\\rb\\x7fc\n"), updated.transcript)

        let status = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertTrue(status.stdout.contains("a\\rb\\x7fc"), status.transcript)

        // No raw control character reaches stdout in any human output.
        for run in [committed, log, show, updated, status] {
            let raw = run.stdout.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F }
            XCTAssertTrue(raw.isEmpty, "raw control characters \(raw.map(\.value)) in\n\(run.transcript)")
        }
    }

    // MARK: SNAP resolution

    func testResolveByFullIdPrefixNameAndCurrent() throws {
        let (dataset, creation) = try makeDataset()
        let first = try XCTUnwrap(creation["snapshot_id"] as? String)
        let second = try idOf(try commit(["-m", "second"], in: dataset.path, now: "2026-03-01T10:00:01Z"))

        XCTAssertEqual(try show(first, in: dataset.path)["snapshot_id"] as? String, first)
        XCTAssertEqual(try show(first.uppercased(), in: dataset.path)["snapshot_id"] as? String, first,
                       "hex is case-insensitive, as in git")
        XCTAssertEqual(try show(String(first.prefix(4)), in: dataset.path)["snapshot_id"] as? String, first)
        XCTAssertEqual(try show(String(first.prefix(7)), in: dataset.path)["snapshot_id"] as? String, first)
        XCTAssertEqual(try show(String(second.prefix(12)), in: dataset.path)["snapshot_id"] as? String, second)
        XCTAssertEqual(try show("second", in: dataset.path)["snapshot_id"] as? String, second)
        XCTAssertEqual(try show("basic_snapshot_" + first.prefix(8), in: dataset.path)["snapshot_id"] as? String,
                       first, "the default name resolves")
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String, second)

        // The same resolution for update and delete.
        XCTAssertEqual(try snapshotObject(try E2E.run(["update", String(first.prefix(5)), "-d", "x", "--json"],
                                                      in: dataset.path))["snapshot_id"] as? String, first)
        let deleted = try snapshotObject(try E2E.run(["delete", String(first.prefix(6)), "--json"], in: dataset.path))
        XCTAssertEqual(deleted["snapshot_id"] as? String, first)
    }

    func testAmbiguousNameExits2AndListsBothCandidates() throws {
        let (dataset, _) = try makeDataset()
        let one = try idOf(try commit(["-m", "twin"], in: dataset.path, now: "2026-03-01T10:00:01Z"))
        let two = try idOf(try commit(["-m", "twin"], in: dataset.path, now: "2026-03-01T10:00:02Z"))
        for arguments in [["show", "twin"], ["show", "twin", "--json"], ["update", "twin", "-d", "x"],
                          ["delete", "twin"]] {
            let run = expectError(try E2E.run(arguments, in: dataset.path), exit: 2, hint: true,
                                  mentioning: ["twin", "ambiguous", String(one.prefix(12)), String(two.prefix(12))])
            XCTAssertTrue(run.stderr.split(separator: "\n").allSatisfy {
                $0.hasPrefix("dsnap: error: ") || $0.hasPrefix("hint: ")
            }, run.transcript)
        }
        XCTAssertEqual(try show(one, in: dataset.path)["description"] as? String, "", "nothing was updated")
        XCTAssertEqual(try log(["--deleted"], in: dataset.path).count, 0, "nothing was deleted")

        // Ids still work, and once one is renamed the name is unique again.
        try snapshotObject(try E2E.run(["update", one, "--name", "single", "--json"], in: dataset.path))
        XCTAssertEqual(try show("twin", in: dataset.path)["snapshot_id"] as? String, two)
        // A deleted snapshot's name does not make a live one ambiguous.
        try snapshotObject(try E2E.run(["update", one, "--name", "twin", "--json"], in: dataset.path))
        try snapshotObject(try E2E.run(["delete", one, "--json"], in: dataset.path))
        XCTAssertEqual(try show("twin", in: dataset.path)["snapshot_id"] as? String, two)
    }

    func testThreeHexDigitsAreNotAPrefix() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        for length in [1, 2, 3] {
            expectError(try E2E.run(["show", String(id.prefix(length))], in: dataset.path), exit: 3, hint: true,
                        mentioning: ["not found"])
        }
        XCTAssertEqual(try show(String(id.prefix(4)), in: dataset.path)["snapshot_id"] as? String, id)
        // A prefix that matches nothing, and a hex string longer than an id.
        let other = id.first == "0" ? "1111" : "0000"
        expectError(try E2E.run(["show", other], in: dataset.path), exit: 3, hint: true)
        expectError(try E2E.run(["show", id + "0"], in: dataset.path), exit: 3, hint: true)
    }

    func testHexLookingNameResolvesByName() throws {
        let (dataset, creation) = try makeDataset()
        let creationID = try XCTUnwrap(creation["snapshot_id"] as? String)
        // The short name is a snapshot's name, not a prefix of any id here.
        let name = try XCTUnwrap(["beef", "cafe", "dead", "f00d"].first { !creationID.hasPrefix($0) })
        let named = try idOf(try commit(["-m", name], in: dataset.path, now: "2026-03-01T10:00:01Z"))
        XCTAssertFalse(named.hasPrefix(name), "pick another name: the id happens to start with it")
        XCTAssertEqual(try show(name, in: dataset.path)["snapshot_id"] as? String, named)
        // A 3-character hex name is found by name as well.
        try snapshotObject(try E2E.run(["update", named, "--name", "abc", "--json"], in: dataset.path))
        XCTAssertEqual(try show("abc", in: dataset.path)["snapshot_id"] as? String, named)
        // The word `current` means HEAD even when a snapshot is named 'current'.
        try snapshotObject(try E2E.run(["update", creationID, "--name", "current", "--json"], in: dataset.path))
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String, named)
    }
}
