/// The 64-bit FNV-1a hash: stable across processes and platforms (Swift's `Hasher` is seeded per
/// process), for names and shares that must agree between runs and machines.
public struct FNV1a: Sendable {
    /// The standard offset basis.
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of everything added so far.
    public private(set) var value: UInt64

    /// An empty hash starting from `offset` (another basis gives an independent second hash).
    public init(offset: UInt64 = FNV1a.offsetBasis) { value = offset }

    /// Adds one byte.
    public mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* Self.prime
    }

    /// Adds the UTF-8 bytes of `text`.
    public mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
    }

    /// The hash of `text`'s UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        var hash = FNV1a()
        hash.add(text)
        return hash.value
    }

    /// `value` as 16 lowercase hex digits.
    public var hex: String { Self.hex(value) }

    /// `value` as 16 lowercase hex digits, leading zeros kept.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
