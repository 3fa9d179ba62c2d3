import Foundation
import Model
import PCA
import Parquet

/// A part that an earlier, interrupted attempt committed: its statistics are rebuilt from the features
/// on disk, its errors come from the side file written just before it.
struct CommittedPart {
    var statistics: PCAStatistics
    var errors: [ErrorRow]

    static func read(index: Int, dimension: Int, output: PartitionedOutput, layout: OutputLayout) throws -> CommittedPart {
        let url = output.directory.appendingPathComponent(output.partFileName(index: index))
        let reader = try ParquetFileReader(url: url)
        var statistics = try PCAStatistics(dimension: dimension)
        for group in 0..<reader.rowGroupCount {
            let vectors = try reader.readVectors("features", rowGroup: group)
            guard vectors.count > 0 else { continue }
            guard vectors.uniformDimension == dimension else {
                throw PipelineError("\(url.path): feature vectors are not all \(dimension)-dimensional in row group \(group)")
            }
            try statistics.add(rows: vectors.floats, count: vectors.count)
        }
        let errorsURL = layout.partErrors(index)
        var errors: [ErrorRow] = []
        if let data = try? Data(contentsOf: errorsURL) {
            do {
                errors = try JSONDecoder().decode([ErrorRow].self, from: data)
            } catch {
                throw PipelineError("\(errorsURL.path): unreadable errors side file (\(error))")
            }
        }
        return CommittedPart(statistics: statistics, errors: errors)
    }
}
