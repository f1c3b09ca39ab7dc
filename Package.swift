// swift-tools-version:6.2
import PackageDescription

// Numerical targets are compiled with optimisation even in debug builds: the test suite runs real
// models, and unoptimised Swift loops are 10–50× slower.
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "ContentSafety",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "safety-server", targets: ["SafetyServer"]),
        .library(name: "Scoring", targets: ["Scoring"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "Training", targets: ["Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        .target(
            name: "Scoring",
            dependencies: ["CBLAS", "CKernels"],
            swiftSettings: optimised
        ),
        // The training engine's exp-heavy elementwise loops (AVX-512 with a portable fallback).
        .target(
            name: "TrainingKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        // Backward passes, optimiser, SFT and RL over the Scoring engine (no HTTP, no SQL).
        .target(
            name: "Training",
            dependencies: ["Scoring", "CBLAS", "TrainingKernels"],
            swiftSettings: optimised
        ),
        // SQLite over GRDB; reads the SQL files in the top-level migrations/ folder at run time.
        .target(
            name: "Storage",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "SafetyServer",
            dependencies: [
                "Scoring",
                "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ScoringTests",
            dependencies: ["Scoring"],
            swiftSettings: optimised
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Scoring"],
            swiftSettings: optimised
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
