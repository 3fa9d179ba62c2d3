// Thrift compact protocol, just what Parquet metadata needs: structs, lists, i16/i32/i64, binary,
// bool, double. Reading validates every length against the bytes left, so a corrupt footer can
// never make us allocate more than the input holds.

enum CompactType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6
    case double = 7, binary = 8, list = 9, set = 10, map = 11, structure = 12
}

/// Appends compact-protocol values to a byte buffer.
struct CompactWriter {
    var bytes: [UInt8] = []
    private var lastField: [Int16] = [0]

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func fieldHeader(_ id: Int16, _ type: CompactType) {
        let delta = Int(id) - Int(lastField[lastField.count - 1])
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func i32(_ id: Int16, _ v: Int32) { fieldHeader(id, .i32); zigzag(Int64(v)) }
    mutating func i64(_ id: Int16, _ v: Int64) { fieldHeader(id, .i64); zigzag(v) }
    mutating func bool(_ id: Int16, _ v: Bool) { fieldHeader(id, v ? .boolTrue : .boolFalse) }
    mutating func binary(_ id: Int16, _ v: [UInt8]) { fieldHeader(id, .binary); rawBinary(v) }
    mutating func string(_ id: Int16, _ v: String) { binary(id, Array(v.utf8)) }

    mutating func rawBinary(_ v: [UInt8]) {
        varint(UInt64(v.count))
        bytes.append(contentsOf: v)
    }

    mutating func listHeader(_ id: Int16, _ elementType: CompactType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            varint(UInt64(count))
        }
    }

    mutating func i32List(_ id: Int16, _ values: [Int32]) {
        listHeader(id, .i32, count: values.count)
        for v in values { zigzag(Int64(v)) }
    }

    mutating func stringList(_ id: Int16, _ values: [String]) {
        listHeader(id, .binary, count: values.count)
        for v in values { rawBinary(Array(v.utf8)) }
    }

    /// Writes a struct field: header, then the body, then the stop byte.
    mutating func structField(_ id: Int16, _ body: (inout CompactWriter) -> Void) {
        fieldHeader(id, .structure)
        structBody(body)
    }

    /// Writes a struct that is a list element (no field header).
    mutating func structBody(_ body: (inout CompactWriter) -> Void) {
        lastField.append(0)
        body(&self)
        bytes.append(CompactType.stop.rawValue)
        lastField.removeLast()
    }
}

/// Reads compact-protocol values from a byte slice, checking every length.
struct CompactReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int
    private var depth = 0
    private static let maxDepth = 32

    init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    mutating func byte() throws -> UInt8 {
        guard position < end else { throw FormatError("Thrift metadata ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw FormatError("Thrift varint longer than 64 bits") }
        }
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func i32() throws -> Int32 {
        let v = try zigzag()
        guard let r = Int32(exactly: v) else { throw FormatError("Thrift i32 out of range: \(v)") }
        return r
    }

    mutating func binary() throws -> [UInt8] {
        let n = try varint()
        guard n <= UInt64(end - position) else {
            throw FormatError("Thrift binary length \(n) exceeds the \(end - position) bytes left")
        }
        defer { position += Int(n) }
        return Array(bytes[position..<position + Int(n)])
    }

    mutating func string() throws -> String { String(decoding: try binary(), as: UTF8.self) }

    /// Reads a list header; the count is checked against the bytes left (each element takes one byte at least).
    mutating func listHeader() throws -> (type: UInt8, count: Int) {
        let h = try byte()
        var count = UInt64(h >> 4)
        if count == 15 { count = try varint() }
        guard count <= UInt64(end - position) else {
            throw FormatError("Thrift list of \(count) elements exceeds the \(end - position) bytes left")
        }
        return (h & 0x0F, Int(count))
    }

    /// Calls `field` for each field of a struct until its stop byte; `field` must consume or skip the value.
    mutating func readStruct(_ field: (inout CompactReader, Int16, UInt8) throws -> Void) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw FormatError("Thrift structs nested too deeply") }
        var last: Int16 = 0
        while true {
            let h = try byte()
            let type = h & 0x0F
            if type == CompactType.stop.rawValue { return }
            let delta = h >> 4
            let id: Int16
            if delta != 0 {
                id = last &+ Int16(delta)
            } else {
                let z = try zigzag()
                guard let v = Int16(exactly: z) else { throw FormatError("Thrift field id out of range") }
                id = v
            }
            last = id
            try field(&self, id, type)
        }
    }

    /// Reads a boolean struct field, whose value is carried by its type nibble.
    func boolValue(_ type: UInt8) throws -> Bool {
        switch type {
        case CompactType.boolTrue.rawValue: return true
        case CompactType.boolFalse.rawValue: return false
        default: throw FormatError("Thrift bool field has type \(type)")
        }
    }

    /// Skips one value of the given compact type.
    mutating func skip(_ type: UInt8) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw FormatError("Thrift values nested too deeply") }
        switch CompactType(rawValue: type) {
        case .boolTrue, .boolFalse: return
        case .byte: _ = try byte()
        case .i16, .i32, .i64: _ = try varint()
        case .double:
            guard end - position >= 8 else { throw FormatError("Thrift metadata ends early") }
            position += 8
        case .binary:
            let n = try varint()
            guard n <= UInt64(end - position) else { throw FormatError("Thrift binary length \(n) too long") }
            position += Int(n)
        case .list, .set:
            let (elementType, count) = try listHeader()
            for _ in 0..<count {
                if elementType == CompactType.boolTrue.rawValue || elementType == CompactType.boolFalse.rawValue {
                    _ = try byte()
                } else {
                    try skip(elementType)
                }
            }
        case .map:
            let count = try varint()
            guard count <= UInt64(end - position) else { throw FormatError("Thrift map too long") }
            if count > 0 {
                let kv = try byte()
                for _ in 0..<count {
                    try skip(kv >> 4)
                    try skip(kv & 0x0F)
                }
            }
        case .structure:
            try readStruct { r, _, t in try r.skip(t) }
        case .stop, .none:
            throw FormatError("Thrift value of unknown type \(type)")
        }
    }

    /// Reads a list whose elements are read by `element`, checking the element type.
    mutating func list<T>(of expected: CompactType, _ element: (inout CompactReader) throws -> T) throws -> [T] {
        let (type, count) = try listHeader()
        guard type == expected.rawValue || count == 0 else {
            throw FormatError("Thrift list has element type \(type), expected \(expected.rawValue)")
        }
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }
}
