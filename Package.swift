// swift-tools-version:6.0
// dsnap: git-like snapshots for dataset folders, on libgit2.
// No package dependencies by design: a lab machine with only OS packages must build it.
import PackageDescription

let package = Package(
    name: "dsnap",
    products: [
        .executable(name: "dsnap", targets: ["dsnap"]),
    ],
    targets: [
        // libgit2 from the OS (Debian: libgit2-dev), found through pkg-config.
        .systemLibrary(
            name: "Clibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // The Linux system calls Swift's Glibc module lacks (syncfs, copy_file_range, renameat2,
        // O_TMPFILE): headers only, nothing to link.
        .systemLibrary(name: "CSystem"),
        // zlib, SHA-1 and Adler-32 for dsnap's own object-store formats: zlib and mbedtls come
        // with libgit2-dev.
        .systemLibrary(name: "CObjectCodec"),
        // Two functions of libgit2's pack builder, interposed so a push sends the pack dsnap
        // writes (see its header).
        .target(name: "CPushInterposition", linkerSettings: [.linkedLibrary("dl")]),
        // The library: datasets, snapshots, locking. Never prints, never exits. Only its Git/
        // folder imports Clibgit2 (StorageLayersTests holds that).
        .target(name: "DsnapCore", dependencies: ["Clibgit2", "CSystem", "CObjectCodec", "CPushInterposition"]),
        // accept4 and pipe2, which Swift's Glibc module lacks: headers only, nothing to link.
        .systemLibrary(name: "CHTTPSystem"),
        // The HTTP/1.1 server under `dsnap serve`: POSIX sockets and threads, nothing of dsnap's.
        .target(name: "DsnapHTTP", dependencies: ["CHTTPSystem"]),
        // Everything the binary does, callable in-process: run(arguments:environment:) -> exit code.
        .target(name: "DsnapCLI", dependencies: ["DsnapCore", "DsnapHTTP"]),
        // The executable exports the two functions CPushInterposition interposes, and nothing else.
        .executableTarget(name: "dsnap", dependencies: ["DsnapCLI"], exclude: ["exported-symbols.list"],
                          linkerSettings: [.unsafeFlags(["-Xlinker",
                                                         "--dynamic-list=\(Context.packageDirectory)/Sources/dsnap/exported-symbols.list"])]),
        .testTarget(name: "DsnapCoreTests", dependencies: ["DsnapCore", "Clibgit2", "CObjectCodec"]),
        .testTarget(name: "DsnapCLITests", dependencies: ["DsnapCLI", "dsnap"]),
        .testTarget(name: "DsnapHTTPTests", dependencies: ["DsnapHTTP"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, built only by scripts/fuzz (DSNAP_FUZZ=1, build folder .build-fuzz), so a
// plain `swift build` or `make test` never sees them.
if Context.environment["DSNAP_FUZZ"] != nil {
    package.targets.append(.target(name: "CFuzzDriver", path: "fuzz/targets/CFuzzDriver"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzDriver"], path: "fuzz/targets/FuzzSupport"))
    for (name, library) in [("fuzz-arguments", "DsnapCLI"), ("fuzz-json", "DsnapCore"),
                            ("fuzz-loose-object", "DsnapCore"), ("fuzz-pack", "DsnapCore"),
                            ("fuzz-received-pack", "DsnapCore"), ("fuzz-http", "DsnapHTTP")] {
        package.targets.append(.executableTarget(name: name, dependencies: [.target(name: library), "FuzzSupport"],
                                                 path: "fuzz/targets/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
