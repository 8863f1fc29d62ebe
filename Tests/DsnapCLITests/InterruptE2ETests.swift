import Foundation
import XCTest

/// Ctrl-C stops dsnap with one line and loses nothing; a clone interrupted or killed leaves no
/// hidden folder behind for long.
final class InterruptE2ETests: XCTestCase {
    /// A dataset of `count` small random images, big enough that a clone takes a moment.
    private func largeDataset(files count: Int) throws -> TemporaryDataset {
        let dataset = try TemporaryDataset(emptyNamed: "source")
        let size = 16_384
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: count * size)
        for index in 0..<count {
            let folder = dataset.path + "/img/\(index % 20)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try random.subdata(in: index * size..<(index + 1) * size).write(to: URL(fileURLWithPath: folder + "/\(index).jpg"))
        }
        expect(try E2E.run(["init", "-q"], in: dataset.path), exit: 0)
        return dataset
    }

    private func hiddenCloneFolders(in parent: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.contains(".dsnap-clone-") }
    }

    /// Starts a clone into `copy` and returns once its hidden folder exists.
    private func startClone(of dataset: TemporaryDataset, into copy: String) throws -> RunningDsnap {
        let parent = copy.parentPath
        let clone = try E2E.start(["clone", "current", copy], in: dataset.path)
        let deadline = Date().addingTimeInterval(20)
        while hiddenCloneFolders(in: parent).isEmpty && clone.process.isRunning && Date() < deadline { usleep(500) }
        return clone
    }

    func testCtrlCStopsACloneWithOneLineAndRemovesItsFolder() throws {
        let dataset = try largeDataset(files: 3000)
        let parent = dataset.path.parentPath
        var interrupted = 0
        for attempt in 0..<5 where interrupted == 0 {
            let copy = parent + "/copy\(attempt)"
            let clone = try startClone(of: dataset, into: copy)
            kill(clone.process.processIdentifier, SIGINT)
            let run = clone.wait()
            if run.status == 0 { continue }   // finished first: this machine is fast; try again
            interrupted += 1
            XCTAssertEqual(run.status, 130, run.transcript)
            XCTAssertFalse(run.killedBySignal, run.transcript)
            XCTAssertTrue(run.stderr.hasPrefix("dsnap: error: interrupted (SIGINT); nothing was lost\nhint: "),
                          run.transcript)
            for marker in E2E.crashMarkers { XCTAssertFalse(run.stderr.contains(marker), run.transcript) }
            XCTAssertEqual(hiddenCloneFolders(in: parent), [], "the interrupted clone left its folder")
            XCTAssertFalse(FileManager.default.fileExists(atPath: copy), "a half-made clone is visible")
        }
        XCTAssertEqual(interrupted, 1, "no clone could be interrupted before it finished")
        expect(try E2E.run(["verify"], in: dataset.path), exit: 0)
    }

    func testAKilledClonesFolderIsRemovedByTheNextCommandInTheSource() throws {
        let dataset = try largeDataset(files: 3000)
        let parent = dataset.path.parentPath
        var killed = 0
        for attempt in 0..<5 where killed == 0 {
            let clone = try startClone(of: dataset, into: parent + "/copy\(attempt)")
            kill(clone.process.processIdentifier, SIGKILL)
            guard clone.wait().killedBySignal else { continue }   // finished first: try again
            killed += 1
            XCTAssertEqual(hiddenCloneFolders(in: parent).count, 1, "the killed clone's folder should still be there")
            expect(try E2E.run(["log"], in: dataset.path), exit: 0)
            XCTAssertEqual(hiddenCloneFolders(in: parent), [])
        }
        XCTAssertEqual(killed, 1, "no clone could be killed before it finished")
    }
}
