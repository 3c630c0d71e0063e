// swift-tools-version:6.0
import PackageDescription

// A release build of the repository's age code alone, for benchmarks/repository/bench.sh.
// Sources/RunbookAge is a symlink to Sources/RunbookActions/Repository/Age: the same files
// the runbook binary compiles, built with -O and only swift-crypto (no copy of any code).
let package = Package(
    name: "AgeBench",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(name: "RunbookAge", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "age-bench", dependencies: ["RunbookAge"], swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
