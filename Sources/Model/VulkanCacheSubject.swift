import Foundation
import VulkanRuntime

/// What a cached per-device result was taken on and for: the device, its driver, imgfeat's version and the
/// model's shape, precision and head mode (the self-check's verdicts and the launch tuning's records hold one).
public struct VulkanCacheSubject: Codable, Sendable, Equatable {
    public var device: String
    public var vendorID: UInt32
    public var deviceID: UInt32
    /// Driver name and info, as `imgfeat devices` prints them.
    public var driver: String
    public var driverVersion: UInt32
    public var imgfeatVersion: String
    public var alpha: Double
    public var inputSize: Int
    public var precision: String
    public var headPool: String

    init(_ info: DeviceInfo, imgfeatVersion: String, config: MobileNetV2Config, precision: VulkanPrecision, headPool: HeadPool.Mode) {
        device = info.name
        vendorID = info.vendorID
        deviceID = info.deviceID
        driver = Self.driver(info)
        driverVersion = info.driverVersion
        self.imgfeatVersion = imgfeatVersion
        alpha = config.alpha
        inputSize = config.inputSize
        self.precision = precision.rawValue
        self.headPool = headPool.rawValue
    }

    /// Whether it was taken on `info`'s device with the driver that device has now.
    public func isOn(_ info: DeviceInfo) -> Bool {
        device == info.name && driverVersion == info.driverVersion && driver == Self.driver(info)
    }

    /// Its fields as the first parts of a cache key, so a key and the subject stored under it name the same things.
    var keyParts: [String] {
        [device, "\(vendorID):\(deviceID)", driver, "\(driverVersion)", imgfeatVersion, "\(alpha)", "\(inputSize)", precision, headPool]
    }

    /// "alpha 1.0 size 224 fp32 head fused", for `imgfeat devices`.
    public var shape: String { "alpha \(alpha) size \(inputSize) \(precision) head \(headPool)" }

    private static func driver(_ info: DeviceInfo) -> String { "\(info.driverName) \(info.driverInfo)" }
}
