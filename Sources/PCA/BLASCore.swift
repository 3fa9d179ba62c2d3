import CBLAS

/// The kernels the linked OpenBLAS chose for this CPU when it loaded, which the PCA's statistics and fits run on.
public enum BLASCore {
    /// OpenBLAS's name for them (`openblas_get_corename`), e.g. "Haswell", "SkylakeX", "Prescott".
    public static var name: String { String(cString: openblas_get_corename()) }

    /// Cores without AVX2: on a CPU that has it, OpenBLAS did not recognise the model (seen on VMs that
    /// report a generic "Intel Xeon Processor") and fell back to these.
    static let withoutAVX2: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "sandybridge", "atom",
                                           "katmai", "coppermine", "northwood", "banias", "barcelona", "opteron", "opteron_sse3"]

    /// "OpenBLAS kernels: SkylakeX (PCA statistics and fits)", and where the core chosen has no AVX2 but the
    /// CPU has AVX2 or AVX-512, how to choose better ones (OpenBLAS reads OPENBLAS_CORETYPE when it loads).
    public static func report(name: String = BLASCore.name, cpuHasAVX2: Bool, cpuHasAVX512: Bool) -> String {
        var line = "OpenBLAS kernels: \(name) (PCA statistics and fits)"
        if (cpuHasAVX2 || cpuHasAVX512) && withoutAVX2.contains(name.lowercased()) {
            let better = cpuHasAVX512 ? "SkylakeX" : "Haswell"
            line += "; OpenBLAS did not recognise this \(cpuHasAVX512 ? "AVX-512" : "AVX2") CPU: "
                + "OPENBLAS_CORETYPE=\(better) in the environment gives it faster kernels"
        }
        return line
    }
}
