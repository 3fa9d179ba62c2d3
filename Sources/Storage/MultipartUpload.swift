import Common
import Foundation

extension S3Client {
    /// Uploads the file at `path` to `location`: one PUT below `multipartThreshold`, else a multipart
    /// upload whose parts are read from the file as they are sent (memory stays at `concurrency` parts).
    /// A failed multipart upload is aborted so that no orphan parts remain billed.
    public func uploadFile(_ path: String, to location: S3Location) throws {
        let size = try Self.fileSize(path)
        if size < config.multipartThreshold {
            try put(try Self.readRange(path, offset: 0, count: size), to: location)
            return
        }
        let name = location.description
        let created = try engine.perform(job(method: "POST", bucket: location.bucket, key: location.key,
                                             query: [("uploads", "")], name: name)).get()
        guard let uploadId = XMLScan.firstValue(of: "UploadId", in: String(decoding: created.body, as: UTF8.self)) else {
            throw StorageError(name, "CreateMultipartUpload answered without an UploadId")
        }
        do {
            let partSize = max(5 << 20, config.partSize)
            let count = (size + partSize - 1) / partSize
            let jobs = (0 ..< count).map { index -> HTTPJob in
                let offset = index * partSize
                let length = min(partSize, size - offset)
                let query = [("partNumber", String(index + 1)), ("uploadId", uploadId)]
                return HTTPJob(name: "\(name) part \(index + 1)") { [self] in
                    let body = try Self.readRange(path, offset: offset, count: length)
                    return try request(method: "PUT", bucket: location.bucket, key: location.key, query: query,
                                       body: body, payloadHash: SHA256.hexHash(body), contentType: nil,
                                       name: "\(name) part \(index + 1)")
                }
            }
            var etags: [String] = []
            for result in engine.perform(jobs) {
                let response = try result.get()
                guard let etag = response.headers["etag"] else {
                    throw StorageError(name, "a part upload answered without an ETag")
                }
                etags.append(etag)
            }
            var xml = "<CompleteMultipartUpload>"
            for (i, etag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLScan.escape(etag))</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let done = try engine.perform(job(method: "POST", bucket: location.bucket, key: location.key,
                                              query: [("uploadId", uploadId)], body: Array(xml.utf8),
                                              contentType: "application/xml", name: name)).get()
            // S3 may answer 200 and still report an error in the body.
            let text = String(decoding: done.body, as: UTF8.self)
            if text.contains("<Error>") {
                let code = XMLScan.firstValue(of: "Code", in: text) ?? "unknown"
                throw StorageError(name, "CompleteMultipartUpload failed: \(code)")
            }
        } catch {
            _ = engine.perform(job(method: "DELETE", bucket: location.bucket, key: location.key,
                                   query: [("uploadId", uploadId)], name: name))
            throw error
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber else {
            throw StorageError(path, "cannot read the file's size")
        }
        return size.intValue
    }

    static func readRange(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StorageError(path, "cannot open the file") }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else {
                throw StorageError(path, "file changed while uploading (read \(data.count) of \(count) bytes)")
            }
            return [UInt8](data)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(path, "read failed (\(error.localizedDescription))")
        }
    }
}
