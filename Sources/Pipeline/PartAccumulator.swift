import Storage

/// Rows of the part being filled.
struct PartAccumulator {
    var paths: [String] = []
    var labels: [String] = []
    var values: [Float] = []
    var errors: [ErrorRow] = []

    mutating func append(_ items: [InputItem], _ features: [Float]) {
        paths += items.map(\.path)
        labels += items.map(\.label)
        values += features
    }
}

/// The inputs of part `index` in the sorted listing.
func partRange(_ index: Int, _ count: Int, partRows: Int) -> Range<Int> {
    let start = min(index * partRows, count)
    return start..<min(start + partRows, count)
}
