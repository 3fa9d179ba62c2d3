import CBLAS

/// OpenBLAS's own thread count, for the stretches where its workers would fight the engine's.
public enum BLASThreads {
    /// Runs `body` with OpenBLAS limited to `threads`, then restores the previous count. During
    /// featurization the per-batch statistics update is small, and OpenBLAS's idle workers spin
    /// (sched_yield) on the cores the network needs; the PCA fit afterwards gets them all back.
    public static func limited<T>(to threads: Int, _ body: () throws -> T) rethrows -> T {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(Int32(max(1, threads)))
        defer { openblas_set_num_threads(previous) }
        return try body()
    }
}
