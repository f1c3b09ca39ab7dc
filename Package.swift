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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .executableTarget(
            name: "SafetyServer",
            dependencies: [
                "Scoring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ScoringTests",
            dependencies: ["Scoring", "CKernels"],
            swiftSettings: optimised
        ),
    ]
)
