@testable import DsnapCLI
import Foundation
import XCTest

/// Holds the man pages to the command declarations, as git's t0450 holds its docs to `-h`: every
/// command has a page whose SYNOPSIS is its usage line and which names every option, and no page
/// describes a command that does not exist.
final class ManPageTests: XCTestCase {
    static let manDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("man")

    static let commandSections = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "JSON OUTPUT", "EXIT STATUS",
                                  "EXAMPLES", "SEE ALSO"]
    static let overviewSections = ["NAME", "SYNOPSIS", "DESCRIPTION", "JSON OUTPUT", "EXIT STATUS", "ENVIRONMENT",
                                   "FILES", "SEE ALSO"]

    func testEveryCommandHasAPageWhoseSynopsisIsItsUsage() throws {
        for command in CommandTable.all {
            guard let page = try Self.page("dsnap-\(command.name).1") else {
                XCTFail("man/dsnap-\(command.name).1 is missing (command '\(command.name)' is in CommandTable)")
                continue
            }
            XCTAssertEqual(Self.synopsis(of: page), command.usage, "SYNOPSIS of man/dsnap-\(command.name).1")
        }
    }

    func testOverviewSynopsisIsTheGlobalUsage() throws {
        let page = try XCTUnwrap(try Self.page("dsnap.1"), "man/dsnap.1 is missing")
        XCTAssertEqual(Self.synopsis(of: page), HelpText.globalUsage, "SYNOPSIS of man/dsnap.1")
    }

    func testEveryPageHasTheRequiredSections() throws {
        if let page = try Self.page("dsnap.1") {
            let present = Self.sections(of: page)
            for section in Self.overviewSections {
                XCTAssertTrue(present.contains(section), "man/dsnap.1 lacks the section \(section)")
            }
        }
        for command in CommandTable.all {
            guard let page = try Self.page("dsnap-\(command.name).1") else { continue }
            let present = Self.sections(of: page)
            for section in Self.commandSections {
                XCTAssertTrue(present.contains(section), "man/dsnap-\(command.name).1 lacks the section \(section)")
            }
        }
    }

    func testEveryOptionIsDocumented() throws {
        for command in CommandTable.all {
            guard let page = try Self.page("dsnap-\(command.name).1") else { continue }
            for long in command.options.map(\.long) {
                let spelled = "\\-\\-" + long.replacingOccurrences(of: "-", with: "\\-")
                XCTAssertTrue(page.contains(spelled), "man/dsnap-\(command.name).1 does not mention \(spelled)")
            }
        }
    }

    /// Each command's JSON is documented where a reader looks for it, with an example of it.
    func testEveryJSONOutputSectionHasAnExample() throws {
        for command in CommandTable.all where command.options.contains(where: { $0.long == "json" }) {
            guard let page = try Self.page("dsnap-\(command.name).1") else { continue }
            XCTAssertTrue(Self.section("JSON OUTPUT", of: page).contains(".EX"),
                          "JSON OUTPUT of man/dsnap-\(command.name).1 has no example (.EX)")
        }
    }

    func testNoPageForACommandThatDoesNotExist() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.manDirectory.path)
        let commands = Set(CommandTable.all.map(\.name))
        for name in names where name.hasPrefix("dsnap-") && name.hasSuffix(".1") {
            let command = String(name.dropFirst("dsnap-".count).dropLast(".1".count))
            XCTAssertTrue(commands.contains(command), "man/\(name) documents '\(command)', which is not in CommandTable")
        }
    }

    // MARK: - Reading roff, just enough

    /// The page's text, or nil when it does not exist.
    static func page(_ name: String) throws -> String? {
        let url = manDirectory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Section names from `.SH` lines, quotes removed: `.SH "JSON OUTPUT"` is `JSON OUTPUT`.
    static func sections(of page: String) -> Set<String> {
        Set(page.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
            guard line.hasPrefix(".SH ") else { return nil }
            return line.dropFirst(4).replacingOccurrences(of: "\"", with: "").trimmingCharacters(in: .whitespaces)
        })
    }

    /// The lines of one section, without its `.SH` line.
    static func section(_ name: String, of page: String) -> String {
        var body: [Substring] = []
        var inside = false
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(".SH ") {
                if inside { break }
                inside = line.dropFirst(4).replacingOccurrences(of: "\"", with: "") == name
                continue
            }
            if inside { body.append(line) }
        }
        return body.joined(separator: "\n")
    }

    /// The SYNOPSIS paragraph as plain text: `.B `/`.I ` macros and font escapes removed, `\-` made `-`,
    /// whitespace collapsed. Any other request line is kept as it is, so it makes the comparison fail.
    static func synopsis(of page: String) -> String {
        var body: [String] = []
        var inside = false
        for line in page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(".SH ") {
                if inside { break }
                inside = line.dropFirst(4).trimmingCharacters(in: .whitespaces) == "SYNOPSIS"
                continue
            }
            guard inside else { continue }
            body.append(line.hasPrefix(".B ") || line.hasPrefix(".I ") ? String(line.dropFirst(3)) : line)
        }
        var text = body.joined(separator: " ")
        for escape in ["\\fB", "\\fI", "\\fR", "\\fP"] { text = text.replacingOccurrences(of: escape, with: "") }
        text = text.replacingOccurrences(of: "\\-", with: "-")
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
