import CKernels

/// Which kernels the fast CPU engine runs on this machine, and a switch to test the portable ones.
public enum FastCPUEngineKernels {
    /// "avx2+fma" when the CPU has them (and the calling thread has not forced scalar), else "scalar".
    public static var instructionSet: String { String(cString: ck_isa_name()) }

    /// Runs `body` with the portable scalar kernels on the calling thread (kernel faces called without a pool).
    public static func withScalarKernels<T>(_ body: () throws -> T) rethrows -> T {
        ck_force_scalar(1)
        defer { ck_force_scalar(0) }
        return try body()
    }
}
