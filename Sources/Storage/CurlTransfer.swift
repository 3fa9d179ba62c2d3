import CCurl
import Foundation

/// The state of one request while libcurl runs it: the easy handle's callbacks write here.
final class CurlTransfer {
    let index: Int
    let job: HTTPJob
    var attempt = 0
    var waited = 0.0
    var notBefore = 0.0
    var lastProblem = ""

    var request: HTTPRequest?
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var bodyLimit = Int.max
    var overLimit = false
    var file: FileHandle?
    var fileError: String?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var upload: UnsafeMutableRawBufferPointer?
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init(index: Int, job: HTTPJob) {
        self.index = index
        self.job = job
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        releaseAttempt()
        errorBuffer.deallocate()
    }

    /// Clears what one attempt owned, before a retry or at the end.
    func releaseAttempt() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        upload?.deallocate()
        upload = nil
        try? file?.close()
        file = nil
    }

    func resetResponse() {
        status = 0
        headers = [:]
        body = []
        overLimit = false
        fileError = nil
        errorBuffer[0] = 0
    }

    var curlMessage: String { String(cString: errorBuffer) }

    /// Sets up `easy` for `request`: URL, method, headers, body, sinks, timeouts, TLS.
    func configure(_ easy: UnsafeMutableRawPointer, request: HTTPRequest, config: TransferSettings) throws {
        self.request = request
        resetResponse()
        let me = Unmanaged.passUnretained(self).toOpaque()
        try CurlStatus.check(imgfeat_curl_setopt_string(easy, CURLOPT_URL, request.url), "CURLOPT_URL", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_write(easy, curlWriteBody), "CURLOPT_WRITEFUNCTION", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, me), "CURLOPT_WRITEDATA", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_header(easy, curlWriteHeader), "CURLOPT_HEADERFUNCTION", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, me), "CURLOPT_HEADERDATA", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(config.connectTimeout * 1000)), "CURLOPT_CONNECTTIMEOUT_MS", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(config.requestTimeout * 1000)), "CURLOPT_TIMEOUT_MS", object: request.url)
        // A stalled transfer (under 1 byte/s for stallTimeout) is cut and retried.
        try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1), "CURLOPT_LOW_SPEED_LIMIT", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, Int(config.stallTimeout.rounded(.up)))), "CURLOPT_LOW_SPEED_TIME", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1), "CURLOPT_TCP_KEEPALIVE", object: request.url)
        try CurlStatus.check(imgfeat_curl_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "identity"), "CURLOPT_ACCEPT_ENCODING", object: request.url)
        if config.insecure {
            try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0), "CURLOPT_SSL_VERIFYPEER", object: request.url)
            try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0), "CURLOPT_SSL_VERIFYHOST", object: request.url)
        }
        if config.followRedirects {
            try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1), "CURLOPT_FOLLOWLOCATION", object: request.url)
            try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_MAXREDIRS, 10), "CURLOPT_MAXREDIRS", object: request.url)
        }
        bodyLimit = config.maxBodyBytes

        var lines = request.headers.map { "\($0.0): \($0.1)" }
        // curl's own "Expect: 100-continue" costs a round trip per upload; S3 does not need it.
        lines.append("Expect:")
        switch request.method {
        case "GET":
            break
        case "HEAD":
            try CurlStatus.check(imgfeat_curl_setopt_long(easy, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY", object: request.url)
        default:
            try CurlStatus.check(imgfeat_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method), "CURLOPT_CUSTOMREQUEST", object: request.url)
        }
        if let data = request.body ?? (request.method == "PUT" || request.method == "POST" ? [] : nil) {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 1)
            data.withUnsafeBytes { buffer.copyMemory(from: $0) }
            upload = buffer
            try CurlStatus.check(imgfeat_curl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(data.count)), "CURLOPT_POSTFIELDSIZE_LARGE", object: request.url)
            try CurlStatus.check(imgfeat_curl_setopt_pointer(easy, CURLOPT_POSTFIELDS, buffer.baseAddress), "CURLOPT_POSTFIELDS", object: request.url)
            if !request.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                lines.append("Content-Type: application/octet-stream")
            }
        }
        for line in lines { headerList = curl_slist_append(headerList, line) }
        try CurlStatus.check(imgfeat_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER", object: request.url)

        if let path = request.bodyFile {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw StorageError(path, "cannot create the download file")
            }
            file = handle
        }
    }

    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let file {
            do { try file.write(contentsOf: bytes) } catch {
                fileError = "cannot write the download file (\(error.localizedDescription))"
                return false
            }
            return true
        }
        if body.count + bytes.count > bodyLimit {
            overLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    fileprivate func receiveHeader(_ line: String) {
        if line.hasPrefix("HTTP/") {
            // A new response (after a redirect or a 100 Continue) starts over.
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers[name] = value
    }
}

/// What the engine applies to every easy handle.
struct TransferSettings: Sendable {
    var connectTimeout: Double
    var requestTimeout: Double
    var stallTimeout: Double
    var insecure: Bool
    var followRedirects: Bool
    var maxBodyBytes: Int
}

private let curlWriteBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let total = size * count
    guard total > 0, let data else { return total }
    return transfer.receive(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}

private let curlWriteHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let total = size * count
    guard total > 0, let data else { return total }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: total), as: UTF8.self)
    transfer.receiveHeader(line)
    return total
}
