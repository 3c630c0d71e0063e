// swift-tools-version:6.0
import PackageDescription

// Swift 5 language mode: the engine is built around a few explicitly synchronised
// classes (journal, audit, locks), and strict Sendable checking would force
// boilerplate on every closure without buying safety we do not already have.
let settings: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "runbook",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "runbook", targets: ["runbook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The S3 and HTTP code uses NIO's byte buffers, event loops and HTTP types directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The language: model, loader, diagnostics, expressions, rules, planner, schema, docs.
        .target(
            name: "RunbookCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // Running things: process runner, transports, interpreter, journal, audit, secrets, locks.
        .target(
            name: "RunbookEngine",
            dependencies: [
                "RunbookCore",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // One folder per action family: declaration (inputs), plan (argv) and run side by side.
        .target(
            name: "RunbookActions",
            dependencies: [
                "RunbookCore",
                "RunbookEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // One file per subcommand.
        .target(
            name: "RunbookCLI",
            dependencies: [
                "RunbookCore",
                "RunbookEngine",
                "RunbookActions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "runbook", dependencies: ["RunbookCLI"], swiftSettings: settings),
        // Repository push/pull as a process, for benchmarks/repository/throughput.sh (release builds).
        .executableTarget(name: "repo-bench", dependencies: ["RunbookActions"], path: "benchmarks/repository/repo-bench",
                          swiftSettings: settings),

        .testTarget(
            name: "RunbookCoreTests",
            dependencies: ["RunbookCore", "RunbookActions"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "RunbookEngineTests",
            dependencies: ["RunbookCore", "RunbookEngine", "RunbookActions"],
            swiftSettings: settings
        ),
        // Unit tests of action families (argv building, parsers, signing): one folder per family.
        .testTarget(
            name: "RunbookActionsTests",
            dependencies: ["RunbookCore", "RunbookEngine", "RunbookActions"],
            swiftSettings: settings
        ),
        // Runs the built `runbook` binary end to end (help text, exit codes, golden output).
        .testTarget(
            name: "CLITests",
            dependencies: ["RunbookCore"],
            exclude: ["Fixtures"],
            swiftSettings: settings
        ),
        // Real servers: PostgreSQL 15, SeaweedFS/rclone S3, Docker Engine with Compose v2.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["RunbookCore", "RunbookEngine", "RunbookActions"],
            // The compose project the Docker tests copy and run (YAML and shell, not sources).
            exclude: ["Compose/project"],
            swiftSettings: settings
        ),
    ]
)
