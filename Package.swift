// swift-tools-version:6.0
import PackageDescription

// System libraries enter through thin shim targets (module map + header with static inline
// wrappers where C macros or variadic functions cannot be called from Swift).
func shim(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig,
                   providers: [.apt([apt])])
}

let package = Package(
    name: "imgfeat",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "imgfeat", targets: ["CLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Vulkan headers only (libvulkan-dev); libvulkan.so.1 is opened with dlopen at run time, not linked,
        // so imgfeat starts without it (loader.c, docs/VULKAN.md).
        .target(name: "CVulkan", path: "Sources/CVulkan"),
        shim("CGlslang", apt: "glslang-dev"),
        // libjpeg(-turbo) driven as Pillow drives it (setjmp/longjmp error handling has to live in C).
        .target(name: "CJPEG", path: "Sources/CJPEG", cSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("jpeg")]),
        shim("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
        shim("CBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        shim("CHDF5", pkgConfig: "hdf5", apt: "libhdf5-dev"),
        shim("CCompression", apt: "libsnappy-dev"),
        // Hand-written SIMD kernels for the fast CPU engine (runtime ISA dispatch inside).
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        // Pillow-exact 8-bit resampling passes in integer SIMD (generic vectors; AVX2 clone on x86-64).
        .target(name: "CResample", path: "Sources/CResample", cSettings: [.unsafeFlags(["-O3"])]),

        // Atomic file replace, stable hashes, a seeded generator, a lock: what every module below
        // Pipeline needs once (docs/ARCHITECTURE.md).
        .target(name: "Common"),
        .target(name: "VulkanRuntime", dependencies: ["CVulkan", "CGlslang", "Common"]),
        .target(name: "Shaders", path: "Shaders", exclude: ["README.md"],
                resources: [.copy("glsl")]),
        .target(name: "Imaging", dependencies: ["CJPEG", "CResample"]),
        .target(name: "Parquet", dependencies: ["CCompression", "Common"]),
        .target(name: "Storage", dependencies: ["CCurl", "Common"]),
        .target(name: "Model",
                dependencies: ["VulkanRuntime", "Shaders", "Imaging", "CHDF5", "CKernels", "Common"]),
        .target(name: "PCA", dependencies: ["VulkanRuntime", "Shaders", "CBLAS", "Common"]),
        .target(name: "Pipeline", dependencies: ["Model", "PCA", "Imaging", "Parquet", "Storage", "Common"]),
        .executableTarget(name: "CLI",
                          dependencies: ["Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Network-only throughput of the fast CPU engine, for bench/cpu_bench.sh.
        .executableTarget(name: "imgfeat-bench-cpu", dependencies: ["Model"], path: "bench/imgfeat-bench-cpu"),
        // Single-thread JPEG decode throughput, for bench/decode_bench.py.
        .executableTarget(name: "imgfeat-bench-decode", dependencies: ["Imaging"], path: "bench/imgfeat-bench-decode"),
        // CPU PCA fit time, for bench/pca_bench.py.
        .executableTarget(name: "imgfeat-bench-pca", dependencies: ["PCA", "VulkanRuntime"], path: "bench/imgfeat-bench-pca"),
        // Storage from the command line (JSON out), for the Python S3 cross-checks and throughput numbers.
        .executableTarget(name: "storage-probe", dependencies: ["Storage", "Common"], path: "Sources/storage-probe"),

        .target(name: "TestSupport", dependencies: ["Common", "Model", "PCA"], path: "Tests/TestSupport"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Model", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport"]),
        .testTarget(name: "PCATests", dependencies: ["PCA", "Pipeline", "TestSupport"]),
        .testTarget(name: "VulkanTests",
                    dependencies: ["VulkanRuntime", "Shaders", "Model", "PCA", "Imaging", "TestSupport"]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "Pipeline", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Model", "PCA", "Storage", "Parquet", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Common", "TestSupport"]),
    ]
)
