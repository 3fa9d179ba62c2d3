import Foundation

extension JSONEncoder {
    /// Sorted keys, indented: the JSON side files (run.json, summaries) read and diff well.
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
