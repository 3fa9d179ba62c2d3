import CCompression

/// A Parquet compression codec.
public enum ParquetCompression: Sendable, Hashable, CaseIterable {
    case uncompressed, snappy, gzip, zstd

    /// The CompressionCodec value in the file.
    var thriftValue: Int32 {
        switch self {
        case .uncompressed: 0
        case .snappy: 1
        case .gzip: 2
        case .zstd: 6
        }
    }

    init?(thriftValue: Int32) {
        switch thriftValue {
        case 0: self = .uncompressed
        case 1: self = .snappy
        case 2: self = .gzip
        case 6: self = .zstd
        default: return nil
        }
    }

    /// The part of a file name Spark puts before `.parquet` ("snappy", "zstd", ...); nil for none.
    public var fileNameInfix: String? {
        switch self {
        case .uncompressed: nil
        case .snappy: "snappy"
        case .gzip: "gz"
        case .zstd: "zstd"
        }
    }

    static func name(ofThrift value: Int32) -> String {
        let names = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]
        return names.indices.contains(Int(value)) ? names[Int(value)] : "codec \(value)"
    }

    /// Compresses `input` (zstd at level 1, which is what pyarrow uses by default).
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        switch self {
        case .uncompressed:
            return input
        case .snappy:
            var outLength = snappy_max_compressed_length(input.count)
            var out = [UInt8](repeating: 0, count: outLength)
            let status = input.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    i.baseAddress!.withMemoryRebound(to: CChar.self, capacity: i.count) { ip in
                        o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: o.count) { op in
                            snappy_compress(ip, i.count, op, &outLength)
                        }
                    }
                }
            }
            guard status == SNAPPY_OK else { throw FormatError("snappy compression failed") }
            out.removeSubrange(outLength...)
            return out
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            var out = [UInt8](repeating: 0, count: bound)
            let n = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, 1) }
            }
            guard ZSTD_isError(n) == 0 else { throw FormatError("zstd compression failed") }
            out.removeSubrange(n...)
            return out
        case .gzip:
            return try gzipCompress(input)
        }
    }

    /// Decompresses `input`, which must expand to exactly `size` bytes.
    func decompress(_ input: ArraySlice<UInt8>, size: Int) throws -> [UInt8] {
        switch self {
        case .uncompressed:
            guard input.count == size else {
                throw FormatError("uncompressed page holds \(input.count) bytes, header says \(size)")
            }
            return Array(input)
        case .snappy:
            var out = [UInt8](repeating: 0, count: size)
            var outLength = size
            let status = input.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    i.withMemoryRebound(to: CChar.self) { ip in
                        o.withMemoryRebound(to: CChar.self) { op in
                            var expected = 0
                            guard snappy_uncompressed_length(ip.baseAddress, ip.count, &expected) == SNAPPY_OK,
                                  expected == size else { return SNAPPY_INVALID_INPUT }
                            return snappy_uncompress(ip.baseAddress, ip.count, op.baseAddress, &outLength)
                        }
                    }
                }
            }
            guard status == SNAPPY_OK, outLength == size else {
                throw FormatError("corrupt snappy data (expected \(size) bytes)")
            }
            return out
        case .zstd:
            var out = [UInt8](repeating: 0, count: size)
            let n = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in ZSTD_decompress(o.baseAddress, size, i.baseAddress, i.count) }
            }
            guard ZSTD_isError(n) == 0, n == size else {
                throw FormatError("corrupt zstd data (expected \(size) bytes)")
            }
            return out
        case .gzip:
            return try gzipDecompress(input, size: size)
        }
    }

    private func gzipDecompress(_ input: ArraySlice<UInt8>, size: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        // 15 + 32: accept gzip or zlib headers, as parquet-mr and Arrow write gzip.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError("zlib initialisation failed")
        }
        defer { inflateEnd(&stream) }
        var mutableInput = Array(input)
        let status: Int32 = mutableInput.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw FormatError("corrupt gzip data (expected \(size) bytes)")
        }
        return out
    }

    private func gzipCompress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError("zlib initialisation failed")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        var mutableInput = input
        let status: Int32 = mutableInput.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw FormatError("gzip compression failed") }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }
}
