import CHDF5
import Foundation

/// A read-only HDF5 file: just what reading Keras weights needs (groups, string attributes, float datasets).
/// libhdf5 (serial build) is not thread-safe, so every call goes through one process-wide lock.
final class HDF5File {
    /// Shape and values of one dataset, converted to float32.
    struct Array {
        var shape: [Int]
        var values: [Float]
    }

    let path: String
    private let file: hid_t

    /// Opens `path`; throws a one-line error when it is missing, not HDF5, or cannot be opened (truncated).
    init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError.weights(file: path, message: "no such file")
        }
        file = try HDF5Lock.run {
            _ = imgfeat_h5_silence_errors()
            guard H5Fis_hdf5(path) > 0 else {
                throw ModelError.weights(file: path, message: "not an HDF5 file")
            }
            let id = H5Fopen(path, imgfeat_h5f_acc_rdonly(), imgfeat_h5p_default())
            guard id >= 0 else {
                throw ModelError.weights(file: path, message: "cannot open as HDF5 (truncated or corrupt file)")
            }
            return id
        }
    }

    deinit {
        HDF5Lock.run { _ = H5Fclose(file) }
    }

    /// Whether a link exists at `path` ("a/b/c"), checking each level so a missing parent is not an error.
    func exists(_ path: String) -> Bool {
        HDF5Lock.run {
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix += prefix.isEmpty ? String(part) : "/" + part
                guard H5Lexists(file, prefix, imgfeat_h5p_default()) > 0 else { return false }
            }
            return true
        }
    }

    /// Names of the links in the group at `path`, in HDF5 name order.
    func children(of path: String) throws -> [String] {
        try HDF5Lock.run {
            let group = H5Gopen2(file, path, imgfeat_h5p_default())
            guard group >= 0 else { throw failure("cannot open group \(path)") }
            defer { H5Gclose(group) }
            var info = H5G_info_t()
            guard H5Gget_info(group, &info) >= 0 else { throw failure("cannot list group \(path)") }
            var names: [String] = []
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                                                imgfeat_h5p_default())
                guard length >= 0 else { throw failure("cannot list group \(path)") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                _ = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                       imgfeat_h5p_default())
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    /// The strings of attribute `name` on the object at `objectPath`, fixed- or variable-length; nil when the
    /// attribute is absent. An empty attribute of any type (Keras writes float64 `[]`) gives [].
    func strings(attribute name: String, of objectPath: String) throws -> [String]? {
        try HDF5Lock.run {
            let object = H5Oopen(file, objectPath, imgfeat_h5p_default())
            guard object >= 0 else { throw failure("cannot open \(objectPath)") }
            defer { H5Oclose(object) }
            guard H5Aexists(object, name) > 0 else { return nil }
            let attribute = H5Aopen(object, name, imgfeat_h5p_default())
            guard attribute >= 0 else { throw failure("cannot open attribute \(name) of \(objectPath)") }
            defer { H5Aclose(attribute) }
            let space = H5Aget_space(attribute)
            defer { H5Sclose(space) }
            let count = Int(H5Sget_simple_extent_npoints(space))
            let type = H5Aget_type(attribute)
            defer { H5Tclose(type) }
            if count == 0 { return [] }
            guard H5Tget_class(type) == H5T_STRING else {
                throw failure("attribute \(name) of \(objectPath) is not a list of strings")
            }
            if H5Tis_variable_str(type) > 0 {
                return try readVariableStrings(attribute, type: type, space: space, count: count, label: name)
            }
            let size = H5Tget_size(type)
            var buffer = [UInt8](repeating: 0, count: count * size)
            guard H5Aread(attribute, type, &buffer) >= 0 else { throw failure("cannot read attribute \(name)") }
            return (0..<count).map { i in
                let bytes = buffer[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
    }

    private func readVariableStrings(_ attribute: hid_t, type: hid_t, space: hid_t, count: Int, label: String) throws
        -> [String] {
        let memoryType = H5Tcopy(imgfeat_h5t_c_s1())
        defer { H5Tclose(memoryType) }
        H5Tset_size(memoryType, imgfeat_h5t_variable())
        H5Tset_cset(memoryType, H5Tget_cset(type))
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Aread(attribute, memoryType, &pointers) >= 0 else { throw failure("cannot read attribute \(label)") }
        defer { H5Dvlen_reclaim(memoryType, space, imgfeat_h5p_default(), &pointers) }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }

    /// The dataset at `path` as float32 with its shape; throws naming `path` when absent or unreadable.
    func array(_ path: String) throws -> Array {
        guard exists(path) else { throw failure("dataset \(path) missing") }
        return try HDF5Lock.run {
            let dataset = H5Dopen2(file, path, imgfeat_h5p_default())
            guard dataset >= 0 else { throw failure("cannot open dataset \(path)") }
            defer { H5Dclose(dataset) }
            let space = H5Dget_space(dataset)
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0 else { throw failure("cannot read the shape of \(path)") }
            var dims = [hsize_t](repeating: 0, count: rank)
            H5Sget_simple_extent_dims(space, &dims, nil)
            let shape = dims.map { Int($0) }
            var values = [Float](repeating: 0, count: shape.reduce(1, *))
            let status = values.withUnsafeMutableBytes { buffer in
                H5Dread(dataset, imgfeat_h5t_native_float(), imgfeat_h5s_all(), imgfeat_h5s_all(),
                        imgfeat_h5p_default(), buffer.baseAddress)
            }
            guard status >= 0 else { throw failure("cannot read dataset \(path) (truncated or corrupt file)") }
            return Array(shape: shape, values: values)
        }
    }

    private func failure(_ message: String) -> ModelError {
        ModelError.weights(file: path, message: message)
    }
}

/// Serialises all libhdf5 calls in the process.
enum HDF5Lock {
    private static let lock = NSLock()

    static func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
