import Model

/// The Vulkan engine's fast paths in a run, as its self-check left them (summary.json `fastPaths`).
public struct FastPathReport: Codable, Sendable, Equatable {
    /// The fast paths the engine ran.
    public var active: [String]
    /// The ones the self-check turned off on this device.
    public var failed: [String]
    /// "passed", "passed (cached)", "fell back" or "fell back (cached)".
    public var selfCheck: String
    /// The self-check's one line when it turned something off.
    public var note: String?
    /// The blocks that ran fused (their Keras prefixes), of `blocks`.
    public var fusedBlocks: [String]
    public var blocks: Int
    /// How that was chosen: "measured", "measured, cached", "forced on", "forced off", "per-layer on CPU drivers"…
    public var fusedBlockChoice: String
    /// The per-layer blocks whose 1×1 convolutions ran in another GEMM variant than the device's default
    /// (block → variant), where the launch tuning measured one faster.
    public var pointwiseVariants: [String: String]
    /// The per-layer blocks whose depthwise layer ran with another column count (block → columns).
    public var depthwiseVariants: [String: String]

    /// nil without a Vulkan engine or a self-check.
    init?(_ engine: VulkanEngine?) {
        guard let engine, let verdict = engine.selfCheckVerdict else { return nil }
        active = engine.activeFastPaths.names
        failed = verdict.failed
        selfCheck = (verdict.failed.isEmpty ? "passed" : "fell back") + (engine.selfCheckFromCache ? " (cached)" : "")
        note = verdict.note
        fusedBlocks = engine.fusedBlockNames
        blocks = engine.model.blocks.count
        fusedBlockChoice = engine.fusedBlockChoice
        pointwiseVariants = engine.pointwiseVariants
        depthwiseVariants = engine.depthwiseVariants
    }

    private enum CodingKeys: String, CodingKey {
        case active, failed, selfCheck, note, fusedBlocks, blocks, fusedBlockChoice, pointwiseVariants, depthwiseVariants
    }

    /// Reads summaries written before the fused-block fields existed too (a finished output's summary is
    /// read back on a rerun): absent, they read as no block fused, of 0, chosen "not recorded", no other GEMM variant.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        active = try c.decode([String].self, forKey: .active)
        failed = try c.decode([String].self, forKey: .failed)
        selfCheck = try c.decode(String.self, forKey: .selfCheck)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        fusedBlocks = try c.decodeIfPresent([String].self, forKey: .fusedBlocks) ?? []
        blocks = try c.decodeIfPresent(Int.self, forKey: .blocks) ?? 0
        fusedBlockChoice = try c.decodeIfPresent(String.self, forKey: .fusedBlockChoice) ?? "not recorded"
        pointwiseVariants = try c.decodeIfPresent([String: String].self, forKey: .pointwiseVariants) ?? [:]
        depthwiseVariants = try c.decodeIfPresent([String: String].self, forKey: .depthwiseVariants) ?? [:]
    }

    /// The summary's line.
    public var line: String {
        "fast paths: " + (active.isEmpty ? "none (per-layer float32 kernels)" : active.joined(separator: ", "))
            + "; self-check \(selfCheck)" + (failed.isEmpty ? "" : ", turned off: \(failed.joined(separator: ", "))")
            + "; fused blocks: \(fusedBlocks.count) of \(blocks) (\(fusedBlockChoice))"
            + Self.listing("another 1x1 GEMM variant", pointwiseVariants) + Self.listing("other depthwise columns", depthwiseVariants)
    }

    /// "; <title> in N: block_1 <choice>, …" in block-name order, or nothing where `choices` is empty.
    private static func listing(_ title: String, _ choices: [String: String]) -> String {
        choices.isEmpty ? "" : "; \(title) in \(choices.count): "
            + choices.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
