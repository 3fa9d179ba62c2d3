import CKernels

extension GlobalAveragePool {
    /// Fast CPU face: per-channel means of each image, N×C row-major, summed in float in pixel order.
    public static func cpu(_ x: Tensor, pool: ThreadPool? = nil) -> [Float] {
        var out = [Float](repeating: .nan, count: x.batch * x.channels)
        cpu(x, into: &out, pool: pool)
        return out
    }

    /// Fast CPU face writing into `out`, which must hold N×C floats.
    public static func cpu(_ x: Tensor, into out: inout [Float], pool: ThreadPool? = nil) {
        precondition(out.count == x.batch * x.channels, "global average pool: output holds \(out.count) floats, needs \(x.batch * x.channels)")
        let pixels = x.height * x.width, c = x.channels
        x.data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                guard let i = input.baseAddress, let o = output.baseAddress else { return }
                (pool ?? ThreadPool(threads: 1)).run(tasks: x.batch) { n, _ in
                    launchCPU(input: i + n * pixels * c, pixels: pixels, channels: c, output: o + n * c)
                }
            }
        }
    }

    /// Means of one image's pixels×channels matrix into output[0..<channels].
    static func launchCPU(input: UnsafePointer<Float>, pixels: Int, channels: Int, output: UnsafeMutablePointer<Float>) {
        ck_global_avg_pool(input, Int32(pixels), Int32(channels), output)
    }
}
