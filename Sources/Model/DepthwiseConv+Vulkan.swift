import VulkanRuntime

extension DepthwiseConv {
    /// Launcher of `depthwise_conv.comp`: KxK depthwise, stride 1 or 2, Keras padding, fused bias and
    /// ReLU6 (vec4 over channels where they are a multiple of 4).
    public final class Vulkan: WindowedConvLauncher, @unchecked Sendable {
        /// `vectorized` and `columnsPerInvocation` nil pick by device (`WindowedConvLauncher`).
        public init(context: VulkanContext, vectorized: Bool? = nil, columnsPerInvocation: Int? = nil) {
            super.init(context: context, shader: "depthwise_conv", vectorized: vectorized, columnsPerInvocation: columnsPerInvocation)
        }
    }
}
