// swift-tools-version:6.0
import PackageDescription

// SealCore and SealVectors are device code: they must also build as Embedded Swift for the
// ARM boards (Tools/cross-build), so no Foundation, typed throws, no existentials there.
// Host-only modules (Sealing, SealParallel, TinkKeyset, the CLI) may use Foundation and Dispatch.
let package = Package(
    name: "Sealframe",
    products: [
        .library(name: "SealCore", targets: ["SealCore"]),
        .executable(name: "sealframe", targets: ["sealframe"]),
    ],
    targets: [
        .systemLibrary(name: "CMbedTLS", path: "Sources/CMbedTLS"),
        .systemLibrary(name: "CLibc", path: "Sources/CLibc"),
        .target(name: "SealCore", dependencies: ["CMbedTLS"], exclude: ["FORMAT.md"]),
        .target(name: "SealVectors", dependencies: ["SealCore"]),
        .target(name: "SealTLS", dependencies: ["SealCore", "CMbedTLS", "CLibc"]),
        .target(name: "SealWire", dependencies: ["SealCore", "CMbedTLS"], exclude: ["PROTOCOL.md"]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(name: "KeyServer", dependencies: ["SealCore", "SealTLS", "SealWire", "CSQLite", "CMbedTLS"]),
        .target(name: "FleetPKI", dependencies: ["SealCore", "CMbedTLS"]),
        .target(name: "KeyClient", dependencies: ["SealCore", "SealTLS", "SealWire", "CLibc"]),
        .target(name: "Sealing", dependencies: ["SealCore"]),
        .target(name: "TinkKeyset", dependencies: ["SealCore"]),
        .target(name: "SealParallel", dependencies: ["SealCore"]),
        .executableTarget(name: "sealframe", dependencies: ["SealCore", "Sealing", "TinkKeyset", "KeyServer", "KeyClient", "Playback", "FleetPKI"]),
        .target(name: "DeviceIO", dependencies: ["SealCore", "CLibc"]),
        .executableTarget(name: "sealframe-selftest", dependencies: ["SealCore", "SealVectors", "DeviceIO", "CLibc"],
                          path: "Sources/SelfTest"),
        .target(name: "Playback", dependencies: ["SealCore", "SealTLS", "SealWire", "KeyClient", "DeviceIO", "CLibc"]),
        .executableTarget(name: "sealframe-player", dependencies: ["SealCore", "KeyClient", "Playback", "CLibc"],
                          path: "Sources/Player"),
        // Tools/bench: the reference C loop and the benchmark driver.
        .target(name: "CBenchLoop", linkerSettings: [.linkedLibrary("mbedcrypto")]),
        .executableTarget(name: "sealframe-bench", dependencies: ["SealCore", "Sealing", "SealParallel", "CBenchLoop", "KeyClient"],
                          path: "Sources/Bench"),
        .testTarget(name: "SealCoreTests", dependencies: ["SealCore", "SealVectors", "Sealing", "SealParallel", "CMbedTLS"]),
        .target(name: "SealframeTestSupport", path: "Tests/Support"),
        .testTarget(name: "SealframeCLITests", dependencies: ["sealframe", "SealframeTestSupport"]),
        .testTarget(name: "SealWireTests", dependencies: ["SealWire"]),
        .testTarget(name: "KeyProtocolTests", dependencies: ["KeyClient", "SealCore", "SealTLS", "SealWire", "FleetPKI", "CMbedTLS", "sealframe", "SealframeTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
