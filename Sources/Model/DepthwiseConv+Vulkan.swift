import VulkanRuntime

extension DepthwiseConv {
    /// Launcher of `depthwise_conv.comp`: KxK depthwise, stride 1 or 2, Keras padding, fused bias and
    /// ReLU6 (vec4 over channels where they are a multiple of 4).
    public final class Vulkan: WindowedConvLauncher, @unchecked Sendable {
        /// `vectorized` and `columnsPerInvocation` nil pick by device (`WindowedConvLauncher`).
        public init(context: VulkanContext, vectorized: Bool? = nil, columnsPerInvocation: Int? = nil) {
            super.init(context: context, shader: "depthwise_conv", vectorized: vectorized, columnsPerInvocation: columnsPerInvocation)
        }

        /// The output columns per vec4 invocation the launch tuning times besides a device's default
        /// (`columnsPerInvocation`: 2 on GPUs, 4 on CPU drivers): on GPUs 1 (twice the invocations, more
        /// warps to hide latency) and 4 (more input loads shared), on CPU drivers 2.
        public static func columnAlternatives(on kind: DeviceKind) -> [Int] { kind == .cpu ? [2] : [1, 4] }

        /// "vec4, 2 columns per invocation": how the tuning names a column count.
        public static func columnsDescription(_ columns: Int) -> String {
            "vec4, \(columns) column\(columns == 1 ? "" : "s") per invocation"
        }
    }
}
