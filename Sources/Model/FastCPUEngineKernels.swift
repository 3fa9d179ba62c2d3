import CKernels
import Foundation

/// The instruction set the fast CPU engine's C kernels run on; chosen once by the caller (CLI, tests,
/// benchmarks) and passed down to every kernel call, never read from the environment here.
public enum FastCPUEngineKernels: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Portable C, any CPU.
    case scalar
    /// x86-64 AVX2 + FMA: 8 floats a vector, 6×16 matrix tiles.
    case avx2
    /// x86-64 AVX-512F: 16 floats a vector, 12×32 matrix tiles.
    case avx512
    /// aarch64 Advanced SIMD: 4 floats a vector, 6×16 matrix tiles.
    case neon

    /// The sets this build and this CPU can run, narrowest first (always starts with `.scalar`).
    public static var supported: [FastCPUEngineKernels] { allCases.filter(\.isSupported) }

    /// The widest set this CPU runs: the default of every engine.
    public static var best: FastCPUEngineKernels {
        switch ck_kernels_best() {
        case CK_KERNELS_AVX512: return .avx512
        case CK_KERNELS_AVX2: return .avx2
        case CK_KERNELS_NEON: return .neon
        default: return .scalar
        }
    }

    /// Whether this build and CPU can run the set.
    public var isSupported: Bool { ck_kernels_supported(Int32(cValue.rawValue)) != 0 }

    public var description: String { rawValue }

    /// The CPU feature the set needs, as users know it from `lscpu`.
    var requirement: String {
        switch self {
        case .scalar: return "nothing"
        case .avx2: return "AVX2 and FMA"
        case .avx512: return "AVX-512F"
        case .neon: return "NEON (aarch64)"
        }
    }

    /// A user's choice (the value of `IMGFEAT_CPU_KERNELS`, named `variable` in errors): a set's name,
    /// or nil, "" and "auto" for `best`. Throws one line for an unknown name or a set this CPU lacks.
    public init(choice: String?, variable: String = "IMGFEAT_CPU_KERNELS") throws {
        let text = (choice ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if text.isEmpty || text == "auto" {
            self = .best
            return
        }
        guard let set = FastCPUEngineKernels(rawValue: text) else {
            let names = (["auto"] + Self.allCases.map(\.rawValue)).joined(separator: ", ")
            throw ModelError.unsupportedKernels("\(variable)=\(choice ?? "") is not one of \(names)")
        }
        guard set.isSupported else {
            throw ModelError.unsupportedKernels("\(variable)=\(text) but this CPU lacks \(set.requirement)")
        }
        self = set
    }

    var cValue: ck_kernels {
        switch self {
        case .scalar: return CK_KERNELS_SCALAR
        case .avx2: return CK_KERNELS_AVX2
        case .avx512: return CK_KERNELS_AVX512
        case .neon: return CK_KERNELS_NEON
        }
    }
}
