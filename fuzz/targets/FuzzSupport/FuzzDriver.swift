import CFuzzDriver

/// Hands the process to libFuzzer with `test` as the function under test; returns its exit status.
/// SwiftPM points every executable's main at one of the module's own (`@main`), so each target
/// has one that calls libFuzzer's driver, instead of relying on libFuzzer's main.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, test)
}

/// The input libFuzzer passes, as a buffer (it may pass no pointer for an empty input).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: count == 0 ? nil : data, count: count)
}
