import CKernels

/// A persistent pool of threads that runs numbered tasks in parallel; the calling thread takes part.
public final class ThreadPool: @unchecked Sendable {
    private let pool: OpaquePointer?
    /// Threads that run tasks, the caller included.
    public let threads: Int

    /// A pool of `threads` threads in all (at least 1: the caller alone, no workers).
    public init(threads: Int) {
        pool = ck_pool_create(Int32(clamping: max(1, threads)))
        self.threads = Int(ck_pool_threads(pool))
    }

    deinit { ck_pool_destroy(pool) }

    /// Calls `body(task, thread)` for every task in 0..<tasks, with `thread` in 0..<threads naming the
    /// thread that runs it; returns when all are done. One run at a time per pool.
    public func run(tasks: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        guard tasks > 0 else { return }
        withoutActuallyEscaping(body) { escapable in
            let box = TaskBox(escapable)
            withExtendedLifetime(box) {
                ck_pool_run(pool, Int32(clamping: tasks), { context, task, thread in
                    guard let context else { return }
                    Unmanaged<TaskBox>.fromOpaque(context).takeUnretainedValue().body(Int(task), Int(thread))
                }, Unmanaged.passUnretained(box).toOpaque())
            }
        }
    }
}

/// Carries a Swift closure through the C pool's `void *` context.
private final class TaskBox {
    let body: (Int, Int) -> Void
    init(_ body: @escaping (Int, Int) -> Void) { self.body = body }
}

extension ThreadPool {
    /// Splits `rows` into at most `pieces` contiguous ranges whose lengths are multiples of `granule`
    /// (except the last), so threads get balanced, kernel-friendly slices.
    struct Chunks: Sendable {
        let rows: Int
        let size: Int
        let count: Int

        init(rows: Int, pieces: Int, granule: Int = 1) {
            self.rows = rows
            let raw = (rows + max(pieces, 1) - 1) / max(pieces, 1)
            size = max(granule, (raw + granule - 1) / granule * granule)
            count = rows == 0 ? 0 : (rows + size - 1) / size
        }

        subscript(index: Int) -> Range<Int> {
            index * size..<min(rows, (index + 1) * size)
        }
    }
}

extension ThreadPool {
    /// Runs `kernel(input image, output image, output rows)` over every image of `x`, each image's output
    /// rows split into chunks shared out across `pool` (one thread when nil). The fast CPU faces of the
    /// row-wise layers use it so they differ only in the kernel they call.
    static func rowParallel(_ x: Tensor, into out: inout Tensor, pool: ThreadPool?,
                            kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) {
        let chunks = Chunks(rows: out.height, pieces: (pool?.threads ?? 1) * 4)
        let inStride = x.elementsPerImage, outStride = out.elementsPerImage
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                guard let i = input.baseAddress, let o = output.baseAddress else { return }
                (pool ?? ThreadPool(threads: 1)).run(tasks: x.batch * chunks.count) { task, _ in
                    let n = task / chunks.count
                    kernel(i + n * inStride, o + n * outStride, chunks[task % chunks.count])
                }
            }
        }
    }
}
