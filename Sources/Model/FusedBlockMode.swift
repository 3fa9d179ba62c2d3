import VulkanRuntime

/// Where the Vulkan engine runs inverted-residual blocks fused (with `VulkanFastPaths.fusedBlocks` allowed):
/// `auto` measures each block both ways on GPUs and keeps the faster (`VulkanLaunchTuning`) and runs every
/// block layer by layer on CPU drivers without measuring (fused measured 0.3–0.6× there: docs/VULKAN.md);
/// `measure` measures on any device (tests, the lavapipe bench); `on` fuses wherever a block fits, `off`
/// never. The CLI takes `$IMGFEAT_VULKAN_FUSED_BLOCKS`.
public enum FusedBlockMode: String, Sendable, CaseIterable {
    case auto, on, off, measure

    /// The environment variable the CLI reads the mode from.
    public static let environmentVariable = "IMGFEAT_VULKAN_FUSED_BLOCKS"

    /// The mode `value` names (nil or empty: `auto`); an unknown one throws a line naming `variable`, the
    /// value and the accepted values.
    public static func parse(_ value: String?, variable: String = environmentVariable) throws -> FusedBlockMode {
        guard let value, !value.isEmpty else { return .auto }
        guard let mode = FusedBlockMode(rawValue: value) else {
            throw ModelError.badSetting("\(variable)=\(value) is not a fused-block mode; accepted values: "
                                        + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return mode
    }

    /// Whether the engine times the blocks fused and layer by layer on a device of `kind` to choose.
    public func measures(on kind: DeviceKind) -> Bool { self == .measure || (self == .auto && kind != .cpu) }

    /// How the choice was made, for summaries: "forced on", "forced off", "measured", or "per-layer on
    /// CPU drivers" (auto there); `fromCache` marks a measurement read back.
    public func choiceDescription(on kind: DeviceKind, fromCache: Bool) -> String {
        switch self {
        case .on: return "forced on"
        case .off: return "forced off"
        case .auto where kind == .cpu: return "per-layer on CPU drivers"
        case .auto, .measure: return fromCache ? "measured, cached" : "measured"
        }
    }
}
