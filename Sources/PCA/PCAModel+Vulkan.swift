import Foundation
import VulkanRuntime

extension PCAModel {
    /// Fits the top `k` components on the GPU: block subspace iteration (`SubspaceIteration`) whose
    /// d×d × d×b products run in `pca_subspace.comp` (float-float), with orthonormalisation and
    /// Rayleigh–Ritz in float64 on the host. Same values as `fit(_:k:center:)` (LAPACK) within the
    /// iteration's certified `tolerance` (each component's angle to the true eigenvector), not Spark's
    /// signs (those need the full dgesdd): each component's largest-magnitude entry is positive.
    /// `eigenvalues` holds the block's Ritz values (at least k) and `totalVariance` the covariance's
    /// trace. Throws `notConverged` when it cannot certify every component (repeated or nearly repeated
    /// eigenvalues, a stall at the float-float floor, more than `maxProducts` products), and
    /// `deviceResultRejected` when the certified components fail the same test in float64 on the host
    /// against C itself (a device computing wrong products).
    public static func fit(_ statistics: PCAStatistics, k: Int, center: Bool = false, context: VulkanContext,
                           tolerance: Double = 1e-7, maxProducts: Int = 1000, trace: SubspaceTrace? = nil) throws -> PCAModel {
        try subspaceFit(statistics, k: k, center: center, tolerance: tolerance, maxProducts: maxProducts,
                        method: .vulkanSubspaceIteration, fittedOn: context.info.name, trace: trace) { c, d, b in
            try VulkanSubspaceProducts(context: context, matrix: c, dimension: d, block: b)
        }
    }

    /// The same subspace iteration with its products on the host (BLAS, float64): the reference face of
    /// the GPU fit, and the way its convergence test is exercised without a device.
    /// `productError` > 0 computes every product with C + ε·S instead (S seeded, symmetric): a
    /// deliberately wrong device, which the host check must reject (`deviceResultRejected`).
    public static func fitBySubspaceIteration(_ statistics: PCAStatistics, k: Int, center: Bool = false,
                                              tolerance: Double = 1e-7, maxProducts: Int = 1000,
                                              trace: SubspaceTrace? = nil, productError: Double = 0) throws -> PCAModel {
        try subspaceFit(statistics, k: k, center: center, tolerance: tolerance, maxProducts: maxProducts,
                        method: .hostSubspaceIteration, fittedOn: "host", trace: trace) { c, d, b in
            HostSubspaceProducts(matrix: c, dimension: d, block: b, perturbation: productError)
        }
    }

    private static func subspaceFit(_ statistics: PCAStatistics, k: Int, center: Bool, tolerance: Double,
                                    maxProducts: Int, method: PCAMethod, fittedOn: String, trace: SubspaceTrace?,
                                    products: ([Double], Int, Int) throws -> SubspaceProducts) throws -> PCAModel {
        let d = statistics.dimension
        guard statistics.count >= 2 else { throw PCAError.tooFewRows(count: statistics.count) }
        guard k >= 1, k <= d, k <= statistics.count - 1 else {
            throw PCAError.invalidK(k: k, dimension: d, count: statistics.count)
        }
        let covariance = try statistics.covariance()
        let variance = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
        // Scaled so that every entry is at most 1 in magnitude (|c_ij| ≤ max c_ii): float-float has
        // float32's exponent range, and powers of an unscaled covariance could leave it.
        let largest = (0..<d).reduce(0.0) { max($0, covariance[$1 * d + $1]) }
        let scale = largest > 0 && largest.isFinite ? largest : 1
        var iteration = SubspaceIteration(dimension: d, k: k)
        iteration.tolerance = tolerance
        iteration.maxProducts = maxProducts
        let setup = Date()
        let scaled = covariance.map { $0 / scale }
        var face = try products(scaled, d, iteration.b)
        if let trace {
            trace.setupSeconds = Date().timeIntervalSince(setup)
            face = TimedSubspaceProducts(face, trace: trace)
        }
        let found = try iteration.run(face)
        try iteration.verify(found, matrix: scaled)
        trace?.steps = found.steps
        let b = iteration.b
        var components = [Double](repeating: 0, count: d * k)
        for i in 0..<d {
            for j in 0..<k { components[i * k + j] = found.vectors[i * b + j] }
        }
        PCASignRule.applyLargestAbsEntryPositive(toColumnsOf: &components, rows: d, columns: k)
        var model = try PCAModel(k: k, count: statistics.count, mean: statistics.mean,
                                 eigenvalues: found.values.map { $0 * scale }, components: components, center: center,
                                 totalVariance: variance, signRule: .largestAbsEntryPositive)
        model.method = method
        model.fittedOn = fittedOn
        return model
    }
}

/// The Vulkan face of `SubspaceProducts`: C uploaded once as float-float pairs, the block ping-ponging
/// between two device buffers for p products in one submission, only the last one read back.
final class VulkanSubspaceProducts: SubspaceProducts {
    let context: VulkanContext
    let pipeline: ComputePipeline
    let covariance: Buffer
    let blocks: [Buffer]
    let upload: Buffer
    let download: Buffer
    let d: Int
    let b: Int

    init(context: VulkanContext, matrix c: [Double], dimension d: Int, block b: Int) throws {
        self.context = context
        self.d = d
        self.b = b
        pipeline = try .pcaKernel("pca_subspace", context: context, bindings: 3, pushBytes: 8)
        covariance = try Buffer(context: context, size: d * d * 8)
        blocks = [try Buffer(context: context, size: d * b * 8), try Buffer(context: context, size: d * b * 8)]
        upload = try Buffer(context: context, size: d * b * 8, location: .upload)
        download = try Buffer(context: context, size: d * b * 8, location: .readback)
        let staging = try Buffer(context: context, size: d * d * 8, location: .upload)
        try staging.write(SubspaceMath.floatFloat(c))
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.copy(from: staging, to: covariance, size: d * d * 8)
        sequence.barrier()
        try sequence.run()
    }

    func power(_ x: [Double], _ p: Int) throws -> [Double] {
        try upload.write(SubspaceMath.floatFloat(x))
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.copy(from: upload, to: blocks[0], size: d * b * 8)
        sequence.barrier()
        for step in 0..<max(1, p) {
            try sequence.dispatch(pipeline, [BufferBinding(covariance), BufferBinding(blocks[step % 2]),
                                             BufferBinding(blocks[(step + 1) % 2])],
                                  push: [UInt32(d), UInt32(b)], groups: ((b + 15) / 16, (d + 15) / 16, 1))
            sequence.barrier()
        }
        try sequence.copy(from: blocks[max(1, p) % 2], to: download, size: d * b * 8)
        sequence.barrier()
        try sequence.run()
        let pairs = try download.read(Float.self, count: 2 * d * b)
        return (0..<(d * b)).map { Double(pairs[2 * $0]) + Double(pairs[2 * $0 + 1]) }
    }
}
