import Dispatch
import DsnapCore
import Glibc

/// Ctrl-C (and SIGTERM, SIGHUP) stop dsnap with one line instead of a silent death: what an
/// interruption leaves is what a kill leaves, which every operation is built to survive, so the
/// handler only undoes what is pending (`InterruptCleanup`), says so, and exits 128 + the signal.
enum InterruptHandler {
    private nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []

    static func install(console: Console) {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
            // The signal is ignored by the process and delivered to a queue instead, where
            // cleaning up and printing are safe (neither is in a signal handler).
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInteractive))
            source.setEventHandler {
                // Ctrl-C while dsnap only waits for its pager is the pager's; otherwise the pager
                // is let finish first, so the shell gets the terminal back when dsnap exits.
                // While `dsnap run` waits for its COMMAND, the signal is the COMMAND's: dsnap must
                // outlive it to restore a checkpoint and release the lock.
                if SignalForwarding.forward(number) { return }
                if Pager.handleInterrupt(number) { return }
                // The first signal to `dsnap serve` stops it gently: running requests finish.
                if GracefulStop.handle(number) { return }
                InterruptCleanup.runAll()
                // A progress line may be half drawn: the message starts on a clean line.
                if console.stderrIsTerminal { console.errRaw("\r\u{1B}[K") }
                console.error("interrupted (\(name)); nothing was lost",
                              hintLines: ["run 'dsnap status' to see the dataset's state; an interrupted restore "
                                          + "is finished by 'dsnap restore --continue'"])
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
