/// The outcome of one `imgfeat kernel-check` case; `failure` names the first mismatch (index, expected, got).
public struct KernelCheckResult<Case: Sendable & CustomStringConvertible>: Sendable {
    public let check: Case
    public let failure: String?
    /// Max relative error against the reference (for the cooperative-matrix kernel's unsplit float16 cases,
    /// against the float32 reference: its measured float16 error).
    public let errorVsReference: Float
    public var passed: Bool { failure == nil }
    /// The line `imgfeat kernel-check` prints (and the GPU kit parses): `ok  ` or `FAIL`, the case, the error.
    public var line: String {
        "\(passed ? "ok  " : "FAIL") \(check): error vs reference \(errorVsReference)\(failure.map { ": \($0)" } ?? "")"
    }
}
