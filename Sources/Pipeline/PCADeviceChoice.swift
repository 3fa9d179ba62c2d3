import Model
import PCA

/// Where `imgfeat pca fit --device` runs the eigen step.
public enum PCADeviceChoice: String, Sendable, CaseIterable {
    /// LAPACK on the host: Spark's signs, and well under a second for d = 1280 on a many-core host
    /// (docs/PCA.md, "Which device fits"), so a GPU would change the signs for little time.
    case auto
    /// The block subspace iteration on the best Vulkan device (`--device-index N` picks one).
    case vulkan
    /// LAPACK on the host.
    case cpu

    /// The fit device this choice names; `setup` opens the Vulkan device.
    public func fitDevice(_ setup: VulkanSetup, deviceIndex: Int?) -> PCAFitDevice {
        guard self == .vulkan else { return .host }
        var setup = setup
        setup.deviceIndex = deviceIndex
        return .vulkan(setup)
    }
}

extension RunOptions {
    /// Where `imgfeat run` fits its PCA: on the Vulkan device with `--device vulkan`, on the host
    /// (LAPACK, Spark's signs) otherwise, `auto` included even when it picked a GPU for the network.
    var pcaFitDevice: PCAFitDevice {
        (device == .vulkan ? PCADeviceChoice.vulkan : .cpu).fitDevice(vulkan, deviceIndex: deviceIndex)
    }
}
