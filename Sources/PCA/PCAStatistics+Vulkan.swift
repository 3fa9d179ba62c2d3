import Foundation
import VulkanRuntime

extension PCAStatistics {
    /// Accumulates PCA statistics of float32 feature batches already on the device with
    /// `pca_syrk.comp` (float-float accumulation, no float64 device feature needed), read back once.
    public final class Vulkan: BufferRowsConsumer, @unchecked Sendable {
        /// Length of each feature vector.
        public let dimension: Int
        /// Rows recorded so far (valid once the recording sequences have run).
        public private(set) var count = 0
        public let context: VulkanContext
        let pipeline: ComputePipeline
        let comoment: Buffer  // vec2 (hi, lo) × d²
        let sums: Buffer      // vec2 × d
        let shift: Buffer     // float × d: the first row recorded
        private var cleared = false

        public init(context: VulkanContext, dimension: Int) throws {
            guard dimension > 0 else { throw PCAError.emptyDimension }
            self.context = context
            self.dimension = dimension
            pipeline = try .pcaKernel("pca_syrk", context: context, bindings: 4, pushBytes: 12)
            comoment = try Buffer(context: context, size: dimension * dimension * 8)
            sums = try Buffer(context: context, size: dimension * 8)
            shift = try Buffer(context: context, size: dimension * 4)
        }

        /// Records the accumulation of `rows` rows (float32, row-major) starting at row `firstRow` of
        /// `features`; the first call also zeroes the accumulators and takes that batch's first row as
        /// the shift. Run the sequence before `statistics()`.
        public func record(_ sequence: CommandSequence, features: Buffer, rows: Int, firstRow: Int = 0) throws {
            let d = dimension
            guard rows > 0 else { return }
            guard (firstRow + rows) * d * 4 <= features.size else {
                throw PCAError.flatLengthMismatch(count: firstRow + rows, dimension: d, got: features.size / 4)
            }
            if !cleared {
                sequence.fill(comoment, with: 0)
                sequence.fill(sums, with: 0)
                try sequence.copy(from: features, offset: firstRow * d * 4, to: shift, size: d * 4)
                sequence.barrier()
                cleared = true
            }
            let tiles = (d + 15) / 16
            try sequence.dispatch(pipeline, [BufferBinding(features), BufferBinding(shift), BufferBinding(comoment),
                                             BufferBinding(sums)],
                                  push: [UInt32(rows), UInt32(d), UInt32(firstRow)], groups: (tiles, tiles, 1))
            sequence.barrier()
            count += rows
        }

        /// `BufferRowsConsumer`: one row is one feature vector.
        public var rowLength: Int { dimension }

        /// `BufferRowsConsumer`: accumulates the first `rows` rows of `buffer`.
        public func record(_ sequence: CommandSequence, rows: Int, of buffer: Buffer) throws {
            try record(sequence, features: buffer, rows: rows)
        }

        /// Uploads `count` rows (flat, row-major float32) and accumulates them; returns when done.
        public func add(rows: [Float], count rowCount: Int) throws {
            guard rowCount >= 0, rows.count == rowCount * dimension else {
                throw PCAError.flatLengthMismatch(count: rowCount, dimension: dimension, got: rows.count)
            }
            guard rowCount > 0 else { return }
            let staging = try Buffer(context: context, size: rows.count * 4, location: .upload)
            try staging.write(rows)
            let sequence = try CommandSequence(context: context, maxTimestamps: 0)
            try sequence.begin()
            try record(sequence, features: staging, rows: rowCount)
            try sequence.run()
        }

        /// Reads the accumulators back and forms count, mean and co-moment in float64.
        public func statistics() throws -> PCAStatistics {
            let d = dimension
            guard count > 0 else { return try PCAStatistics(dimension: d) }
            let readS = try Buffer(context: context, size: comoment.size, location: .readback)
            let readSums = try Buffer(context: context, size: sums.size, location: .readback)
            let readShift = try Buffer(context: context, size: shift.size, location: .readback)
            let sequence = try CommandSequence(context: context, maxTimestamps: 0)
            try sequence.begin()
            try sequence.copy(from: comoment, to: readS, size: comoment.size)
            try sequence.copy(from: sums, to: readSums, size: sums.size)
            try sequence.copy(from: shift, to: readShift, size: shift.size)
            sequence.barrier()
            try sequence.run()
            let pairs = try readS.read(Float.self, count: 2 * d * d)
            let sumPairs = try readSums.read(Float.self, count: 2 * d)
            let c = try readShift.read(Float.self, count: d)
            let n = Double(count)
            // Shifted sums → mean and centred co-moment: M = S − s·sᵀ / n, mean = c + s / n.
            let s = (0..<d).map { Double(sumPairs[2 * $0]) + Double(sumPairs[2 * $0 + 1]) }
            var mean = [Double](repeating: 0, count: d)
            for i in 0..<d { mean[i] = Double(c[i]) + s[i] / n }
            var m = [Double](repeating: 0, count: d * d)
            for i in 0..<d {
                for j in i..<d {
                    let v = Double(pairs[2 * (i * d + j)]) + Double(pairs[2 * (i * d + j) + 1]) - s[i] * s[j] / n
                    m[i * d + j] = v
                    m[j * d + i] = v
                }
            }
            guard mean.allSatisfy(\.isFinite), m.allSatisfy(\.isFinite) else {
                throw PCAError.nonFiniteOnDevice(count: count)
            }
            return try PCAStatistics(dimension: d, count: count, mean: mean, comoment: m)
        }
    }
}
