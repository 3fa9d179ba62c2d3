import Common
import Foundation
import Imaging

/// How the Vulkan engine checks its fast paths when it is first created on a device: a few seeded images
/// through the engine and through the fast CPU engine, compared at `tolerance(for:)`; a path beyond it is
/// turned off for that device, and the verdict is cached in `cache` (one JSON file per device, driver,
/// imgfeat version, model shape, precision and head mode).
public struct VulkanSelfCheck: Sendable {
    /// Folder of cached verdicts (the CLI: `${XDG_CACHE_HOME:-~/.cache}/imgfeat/fastpaths`, beside the
    /// SPIR-V cache); nil checks every time and keeps nothing.
    public var cache: URL?
    /// imgfeat's version: a new build checks again.
    public var softwareVersion: String
    /// Check now even when a verdict is cached (`imgfeat devices --check`); the new verdict replaces it.
    public var recheck: Bool
    /// Test-only: a deliberately wrong fast path (never set by the CLI).
    public var fault: VulkanFaultInjection?

    public init(cache: URL?, softwareVersion: String, recheck: Bool = false, fault: VulkanFaultInjection? = nil) {
        self.cache = cache
        self.softwareVersion = softwareVersion
        self.recheck = recheck
        self.fault = fault
    }

    /// Largest relative error (max |Vulkan − CPU| over max |CPU|, all images) a path may show: 1e-5 at
    /// fp32, the contract every Vulkan kernel is tested to against the reference; 1e-2 at fp16, the
    /// budget of 16-bit storage and arithmetic against Keras (docs/VULKAN.md).
    public static func tolerance(for precision: VulkanPrecision) -> Double {
        precision == .fp32 ? 1e-5 : 1e-2
    }

    /// Images in the check batch.
    public static let imageCount = 3

    /// The check's seeded RGB images at the model's input size `size`: one of exactly that size, one
    /// larger and oblong, one tiny (so the device resize runs up- and downscaling).
    static func images(size: Int) -> [RGBImage] {
        let shapes = [(size, size), (size + 13, size / 2 + 3), (7, 5)]
        var generator = SplitMix64(seed: 0x5e1f_c4ec)
        return shapes.map { width, height in
            RGBImage(width: width, height: height,
                     pixels: (0..<width * height * 3).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) })
        }
    }
}
