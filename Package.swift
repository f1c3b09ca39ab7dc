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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The C kernels of both engines, one file per op family, dispatching at run time on the host's ISA
        // (AVX-512, AVX2 or plain C; CK_ISA caps it).
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        // The shared vocabulary of Scoring and Storage: the nine dimensions, per-dimension values, JSON values and
        // the seedable generator. Foundation only.
        .target(name: "Vocabulary"),
        .target(
            name: "Scoring",
            dependencies: ["Vocabulary", "CBLAS", "CKernels"],
            swiftSettings: optimised
        ),
        // Backward passes, optimiser, SFT and RL over the Scoring engine (no HTTP, no SQL).
        .target(
            name: "Training",
            dependencies: ["Scoring", "CBLAS", "CKernels"],
            swiftSettings: optimised
        ),
        // SQLite over GRDB, or PostgreSQL over postgres-nio (several replicas on one database); reads the SQL files in
        // the top-level migrations/ folder (migrations/postgres/ for PostgreSQL) at run time.
        .target(
            name: "Storage",
            dependencies: [
                "Vocabulary",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The service as a library, so tests build the same application in-process.
        .target(
            name: "Service",
            dependencies: [
                "Scoring", "Storage", "Training",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "SafetyServer",
            dependencies: [
                "Scoring", "Storage", "Service", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ScoringTests",
            dependencies: ["Scoring", "CKernels"],
            swiftSettings: optimised
        ),
        // Route, live-socket and spec tests, and (Browser/) the dashboard driven in headless Chromium over the
        // DevTools protocol with a WebSocket client of its own.
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Service", "Scoring", "Storage", "Training",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Scoring", "CKernels"],
            swiftSettings: optimised
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
