import DsnapCore
import Dispatch
import Synchronization

/// The restores and clones `dsnap serve` runs after answering 202: stopping the server waits for
/// them, so each ends COMPLETED or FAILED in its task, as the CLI's would. A failure is in the task
/// already; `log` gets one line for the server's own record.
final class BackgroundOperations: Sendable {
    private let group = DispatchGroup()
    private let running = Mutex<Int>(0)
    private let log: @Sendable (String) -> Void

    init(log: @escaping @Sendable (String) -> Void) {
        self.log = log
    }

    func start(_ name: String, _ work: @escaping @Sendable () throws -> Void) {
        running.withLock { $0 += 1 }
        DispatchQueue.global().async(group: group) { [self] in
            do {
                try work()
                log("\(name): done")
            } catch {
                log("\(name): failed: " + ((error as? DsnapError)?.message ?? "\(error)"))
            }
            self.running.withLock { $0 -= 1 }
        }
    }

    /// How many are running now.
    var count: Int { running.withLock { $0 } }

    /// Returns once every operation started has ended.
    func waitForAll() {
        group.wait()
    }
}
