import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Host-visible buffers bound straight to the shaders, so kernel tests see exactly what the shader wrote.
struct KernelHarness {
    let context: VulkanContext
    let precision: VulkanPrecision
    let sequence: CommandSequence

    init(precision: VulkanPrecision) throws {
        context = try vulkanContext()
        self.precision = precision
        sequence = try CommandSequence(context: context)
        try sequence.begin()
    }

    /// `values` stored at the harness precision.
    func input(_ values: [Float]) throws -> BufferBinding {
        let bytes = precision.encode(values)
        let buffer = try Buffer(context: context, size: max(bytes.count, 4), location: .upload)
        try buffer.write(bytes)
        return BufferBinding(buffer)
    }

    /// float32 values whatever the precision (biases, the preprocessing table).
    func float32(_ values: [Float]) throws -> BufferBinding {
        let buffer = try Buffer(context: context, size: max(values.count * 4, 4), location: .upload)
        try buffer.write(values)
        return BufferBinding(buffer)
    }

    /// An output of `count` elements (plus one guard element) filled with NaN before the kernel runs.
    func poisonedOutput(_ count: Int, elementSize: Int? = nil) throws -> Buffer {
        let size = elementSize ?? precision.elementSize
        // Rounded up to whole words: the fill writes 32-bit patterns.
        let buffer = try Buffer(context: context, size: ((count + 1) * size + 3) / 4 * 4, location: .readback)
        sequence.fill(buffer, with: size == 2 ? 0x7E00_7E00 : Float.nan.bitPattern)
        sequence.barrier()
        return buffer
    }

    /// Runs what was recorded; returns the `count` output elements and whether the guard is still NaN.
    func finish(_ output: Buffer, count: Int, float32: Bool = false) throws -> (values: [Float], guardIntact: Bool) {
        sequence.barrier()
        try sequence.run()
        let all = float32 ? try output.read(Float.self, count: count + 1)
                          : try precision.decode(output, count: count + 1)
        return (Array(all.prefix(count)), all[count].isNaN)
    }
}

/// Uniform random floats in `range` from a seeded generator.
func randomFloats(_ count: Int, in range: ClosedRange<Float> = -1...1, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

/// Values rounded through the storage precision, as the shader sees its inputs.
func stored(_ values: [Float], _ precision: VulkanPrecision) -> [Float] {
    precision == .fp16 ? values.map { Float(Float16($0)) } : values
}

/// Relative tolerance of a kernel at a precision.
func tolerance(_ precision: VulkanPrecision) -> Float { precision == .fp32 ? 1e-5 : 1e-2 }

/// Records an issue naming the first mismatch, if any.
func expectClose(_ got: [Float], _ expected: [Float], _ precision: VulkanPrecision, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == expected.count, "\(what): \(got.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    guard got.count == expected.count else { return }
    if let bad = firstMismatch(got, expected, relativeTolerance: tolerance(precision)) {
        Issue.record("\(what): first mismatch at \(bad.index): expected \(bad.expected), got \(bad.got)",
                     sourceLocation: sourceLocation)
    }
}
