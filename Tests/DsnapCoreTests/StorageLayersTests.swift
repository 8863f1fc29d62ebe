import DsnapCore
import Foundation
import XCTest

/// The storage layer is split by job: Git/ wraps libgit2, ObjectStore/ reads and writes git's
/// formats itself, System/ makes the system calls. Holding the C modules to their folders keeps
/// it so: a libgit2 type that leaks out of Git/ would fail here before review.
final class StorageLayersTests: XCTestCase {
    /// Which folders of Sources/DsnapCore may import each C module.
    private let allowedFolders: [String: Set<String>] = [
        "Clibgit2": ["Git"],
        "CObjectCodec": ["Git", "ObjectStore"],
        "CSystem": ["System", "ObjectStore", "Checkout"],
        "CPushInterposition": ["Git"],
    ]

    func testEachCModuleIsImportedOnlyWhereItsLayerLives() throws {
        let core = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/DsnapCore")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: core.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 50, "found the sources at \(core.path)")
        var offenders: [String] = []
        for file in files {
            let folder = String(file.split(separator: "/").first ?? "")
            let text = try String(contentsOf: core.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let module = line.dropFirst("import ".count).trimmingCharacters(in: .whitespaces)
                if let allowed = allowedFolders[module], !allowed.contains(folder) {
                    offenders.append("\(file) imports \(module)")
                }
            }
        }
        XCTAssertEqual(offenders, [], "only \(allowedFolders) may import these modules")
    }

    func testNothingOutsideDsnapCoreImportsACModule() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        for target in ["DsnapCLI", "dsnap"] {
            let folder = sources.appendingPathComponent(target)
            let files = try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }
                .filter { $0.hasSuffix(".swift") }
            for file in files {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for module in allowedFolders.keys {
                    XCTAssertFalse(text.contains("import \(module)\n"), "\(target)/\(file) imports \(module)")
                }
            }
        }
    }
}

/// A push's pack is dsnap's through the interposition of two functions of libgit2 1.5's pack
/// builder, which its push calls through the procedure linkage table (push_pack.h; the E2E push
/// tests fail if it stops taking effect). Another libgit2 must be checked by hand before this
/// test is changed.
final class LibGit2AssumptionsTests: XCTestCase {
    func testTheLibgit2TheWorkaroundsWereMeasuredOnIsTheOneLinked() {
        XCTAssertTrue(LibGit2Version.string.hasPrefix("1.5."), "libgit2 \(LibGit2Version.string): re-check the push interposition")
    }
}
