import Foundation
import Imaging
import Model
import Storage

/// One batch ready for the device: the images that decoded, in listing order, and the ones that did not.
struct PreparedBatch: @unchecked Sendable {
    var part: Int
    var items: [InputItem]
    /// Preprocessed model input, N×S×S×3, for the CPU engines.
    var tensorData: [Float]
    /// Decoded pixels for engines that resize on the device.
    var images: [RGBImage]
    var errors: [ErrorRow]
    /// A failure that must stop the run (refused credentials, say), not just skip an input.
    var fatal: StorageError?
    /// Whether this batch closes its part, so the part can be committed after it.
    var endsPart: Bool
    var decodeSeconds: Double
}

/// Reads and decodes the inputs of each pending part on a thread pool, one batch at a time, and feeds
/// the device stage through a bounded queue so that decoding overlaps inference.
struct DecodeStage {
    var fetcher: ObjectFetcher
    var inputSize: Int
    var keepPixels: Bool
    var maxPixels: Int
    /// JPEG draft mode: DCT-scaled decode towards `inputSize` (JPEGDecoder.decode(draft:)).
    var draft = false

    /// Fetches `items` (many requests in flight for remote ones), then decodes and preprocesses them
    /// on all cores at once.
    func prepare(part: Int, items: [InputItem], endsPart: Bool) -> PreparedBatch {
        let start = Date()
        let pixelsPerImage = inputSize * inputSize * 3
        let fetched = fetcher.fetch(items.map(\.location))
        var outcomes = [DecodeOutcome?](repeating: nil, count: items.count)
        var inputs = [[Float]?](repeating: nil, count: items.count)
        let size = inputSize, keep = keepPixels, limit = maxPixels, draftSize = draft ? inputSize : nil
        outcomes.withUnsafeMutableBufferPointer { results in
            inputs.withUnsafeMutableBufferPointer { floats in
                let results = UnsafeSendable(results), floats = UnsafeSendable(floats)
                DispatchQueue.concurrentPerform(iterations: items.count) { i in
                    let item = items[i]
                    let bytes: [UInt8]
                    switch fetched[i] {
                    case .success(let data):
                        bytes = data
                    case .failure(let error):
                        let stage = item.path.contains("://") ? "fetch" : "read"
                        results.value[i] = .failed(ErrorRow(path: item.path, label: item.label, stage: stage, message: "\(error)"),
                                                   fatal: error.isFatal ? error : nil)
                        return
                    }
                    do {
                        let image = try JPEGDecoder.decode(bytes, name: item.path, maxPixels: limit,
                                                              draft: draftSize)
                        if keep {
                            results.value[i] = .decoded(image)
                        } else {
                            floats.value[i] = ModelInput.preprocess(image, size: size)
                            results.value[i] = .decoded(nil)
                        }
                    } catch {
                        results.value[i] = .failed(ErrorRow(path: item.path, label: item.label, stage: "decode", message: "\(error)"), fatal: nil)
                    }
                }
            }
        }
        var batch = PreparedBatch(part: part, items: [], tensorData: [], images: [], errors: [],
                                  endsPart: endsPart, decodeSeconds: 0)
        if !keepPixels { batch.tensorData.reserveCapacity(items.count * pixelsPerImage) }
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .decoded(let image)?:
                batch.items.append(items[i])
                if keepPixels, let image { batch.images.append(image) } else { batch.tensorData += inputs[i] ?? [] }
            case .failed(let row, let fatal)?:
                batch.errors.append(row)
                if batch.fatal == nil { batch.fatal = fatal }
            case nil:
                batch.errors.append(ErrorRow(path: items[i].path, label: items[i].label, stage: "decode",
                                                message: "not processed"))
            }
        }
        batch.decodeSeconds = Date().timeIntervalSince(start)
        return batch
    }
}

/// What became of one input: its pixels (nil once turned into model input), or why it failed.
enum DecodeOutcome {
    case decoded(RGBImage?)
    case failed(ErrorRow, fatal: StorageError?)
}

/// Lets a buffer pointer cross into `concurrentPerform`, whose iterations write disjoint elements.
struct UnsafeSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
