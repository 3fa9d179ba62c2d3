// Repetition or definition levels of one data page.

/// The level data of one page, kept encoded (it is small) and decoded on demand.
struct Levels {
    let bytes: [UInt8]
    let maxLevel: Int
    let count: Int

    func forEachRun(_ body: (UInt32, Int, Int) throws -> Void) throws {
        try bytes.withUnsafeBufferPointer { b in
            try RLEHybrid.forEachRun(b, start: 0, end: b.count, bitWidth: RLEHybrid.bitWidth(maxLevel), count: count,
                                     maxValue: UInt32(maxLevel), body)
        }
    }

    func decoded() throws -> [UInt32] {
        var out: [UInt32] = []
        try bytes.withUnsafeBufferPointer { b in
            try RLEHybrid.decode(b, start: 0, end: b.count, bitWidth: RLEHybrid.bitWidth(maxLevel), count: count,
                                 maxValue: UInt32(maxLevel), into: &out)
        }
        return out
    }

    /// How many levels equal `level`.
    func count(of level: Int) throws -> Int {
        var n = 0
        let target = UInt32(level)
        try forEachRun { v, _, length in if v == target { n += length } }
        return n
    }
}
