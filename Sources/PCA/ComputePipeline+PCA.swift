import Shaders
import VulkanRuntime

extension ComputePipeline {
    /// The pipeline of PCA kernel `name` (`Shaders/glsl/<name>.comp`) on `context`: the one way the PCA
    /// launchers load a shader (ShaderSource's error names the file and every folder it looked in).
    static func pcaKernel(_ name: String, context: VulkanContext, bindings: Int, pushBytes: Int) throws -> ComputePipeline {
        try ComputePipeline(context: context, name: name, source: ShaderSource.named(name, folder: context.shaderSources),
                            bindingCount: bindings, pushConstantBytes: pushBytes)
    }
}
