import VulkanRuntime

extension StemConv {
    /// Launcher of `stem_conv.comp`: a dense KxK convolution with fused bias and ReLU6 (vec4 over output
    /// channels where they are a multiple of 4).
    public final class Vulkan: WindowedConvLauncher, @unchecked Sendable {
        /// `vectorized` and `columnsPerInvocation` nil pick by device (`WindowedConvLauncher`).
        public init(context: VulkanContext, vectorized: Bool? = nil, columnsPerInvocation: Int? = nil) {
            super.init(context: context, shader: "stem_conv", vectorized: vectorized, columnsPerInvocation: columnsPerInvocation)
        }
    }
}
