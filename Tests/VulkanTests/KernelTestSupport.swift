import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Host-visible buffers bound straight to the shaders, so kernel tests see exactly what the shader wrote.
/// `precision` is the network input's (the preprocessing shader); kernels name each tensor's `StorageFormat`.
struct KernelHarness {
    let context: VulkanContext
    let precision: VulkanPrecision
    let sequence: CommandSequence

    /// `context` nil: the shared one.
    init(precision: VulkanPrecision = .fp32, context: VulkanContext? = nil) throws {
        if let context { self.context = context } else { self.context = try vulkanContext() }
        self.precision = precision
        sequence = try CommandSequence(context: self.context)
        try sequence.begin()
    }

    /// `values` stored at the harness precision.
    func input(_ values: [Float]) throws -> BufferBinding {
        let bytes = precision.encode(values)
        let buffer = try Buffer(context: context, size: max(bytes.count, 4), location: .upload)
        try buffer.write(bytes)
        return BufferBinding(buffer)
    }

    /// `values` stored as `format`.
    func input(_ values: [Float], _ format: StorageFormat) throws -> BufferBinding {
        let bytes = format.encode(values)
        let buffer = try Buffer(context: context, size: max(bytes.count, 4), location: .upload)
        try buffer.write(bytes)
        return BufferBinding(buffer)
    }

    /// An output of `count` elements stored as `format` (plus one guard element), filled before the kernel
    /// runs with NaN for the float formats, and with 0xFFFF (6.0) for unorm16, which has no NaN: there the
    /// guard is checked by its bits, and whether every element is written is what the float runs of the
    /// same kernel check (the store indices do not depend on the format).
    func poisonedOutput(_ count: Int, _ format: StorageFormat) throws -> Buffer {
        let buffer = try Buffer(context: context, size: ((count + 1) * format.size + 3) / 4 * 4, location: .readback)
        sequence.fill(buffer, with: Self.poison(format))
        sequence.barrier()
        return buffer
    }

    static func poison(_ format: StorageFormat) -> UInt32 {
        switch format {
        case .float32: return Float.nan.bitPattern
        case .float16: return 0x7E00_7E00
        case .unorm16: return 0xFFFF_FFFF
        }
    }

    /// Runs what was recorded; returns the `count` output elements stored as `format` and whether the
    /// guard element still holds the poison.
    func finish(_ output: Buffer, count: Int, _ format: StorageFormat) throws -> (values: [Float], guardIntact: Bool) {
        sequence.barrier()
        try sequence.run()
        let values = try format.decode(output, count: count)
        let guardIntact: Bool
        switch format {
        case .float32: guardIntact = try output.read(UInt32.self, count: 1, at: count)[0] == Self.poison(format)
        case .float16, .unorm16: guardIntact = try output.read(UInt16.self, count: 1, at: count)[0] == UInt16(Self.poison(format) & 0xFFFF)
        }
        return (values, guardIntact)
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

/// Values rounded through the storage of the network input at `precision`, as the shader sees them.
func stored(_ values: [Float], _ precision: VulkanPrecision) -> [Float] { stored(values, precision.inputFormat) }

/// Values rounded through a storage format, as the shader sees its inputs.
func stored(_ values: [Float], _ format: StorageFormat) -> [Float] { values.map(format.stored) }

/// Relative tolerance of a kernel at a precision.
func tolerance(_ precision: VulkanPrecision) -> Float { precision == .fp32 ? 1e-5 : 1e-2 }

/// Relative tolerance of a kernel whose output is stored as `format` (inputs are compared as stored):
/// float32 rounding; float16 as at fp16; unorm16's step of 9.2e-5 is under 1e-4 of any output range
/// above 1 (the tests' outputs reach several units).
func tolerance(_ format: StorageFormat) -> Float {
    switch format {
    case .float32: return 1e-5
    case .float16: return 1e-2
    case .unorm16: return 1e-4
    }
}

/// Records an issue naming the first mismatch, if any.
func expectClose(_ got: [Float], _ expected: [Float], _ precision: VulkanPrecision, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(got, expected, tolerance: tolerance(precision), what, sourceLocation: sourceLocation)
}

/// Records an issue naming the first mismatch beyond `tolerance` (relative to max |expected|), with the
/// largest relative error, if any.
func expectClose(_ got: [Float], _ expected: [Float], tolerance: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == expected.count, "\(what): \(got.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    guard got.count == expected.count else { return }
    if let bad = firstMismatch(got, expected, relativeTolerance: tolerance) {
        Issue.record("\(what): first mismatch at \(bad.index): expected \(bad.expected), got \(bad.got); max relative error \(relativeError(got, expected))",
                     sourceLocation: sourceLocation)
    }
}

/// TestSupport's metric: max |got − expected| over max |expected|.
func relativeError(_ got: [Float], _ expected: [Float]) -> Float {
    let scale = max(expected.map { abs($0) }.max() ?? 0, Float.leastNormalMagnitude)
    return (zip(got, expected).map { abs($0 - $1) }.max() ?? 0) / scale
}
