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
        // The library: datasets, snapshots, locking. Never prints, never exits.
        .target(name: "DsnapCore", dependencies: ["Clibgit2"]),
        // Everything the binary does, callable in-process: run(arguments:environment:) -> exit code.
        .target(name: "DsnapCLI", dependencies: ["DsnapCore"]),
        .executableTarget(name: "dsnap", dependencies: ["DsnapCLI"]),
        .testTarget(name: "DsnapCoreTests", dependencies: ["DsnapCore"]),
        .testTarget(name: "DsnapCLITests", dependencies: ["DsnapCLI", "dsnap"]),
    ],
    swiftLanguageModes: [.v6]
)
