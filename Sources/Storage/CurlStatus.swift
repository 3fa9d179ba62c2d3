import CCurl

/// libcurl's status codes, checked in one place as Vulkan's are by `check(_:_:)`: no CURLcode or
/// CURLMcode is dropped; a failure names the call and curl's own reason.
enum CurlStatus {
    /// Throws a `StorageError` about `object` unless `code` is CURLE_OK.
    static func check(_ code: CURLcode, _ call: String, object: String) throws {
        if let reason = failure(code, call) { throw StorageError(object, reason) }
    }

    /// nil when `code` is CURLE_OK, else "libcurl CALL failed (reason)".
    static func failure(_ code: CURLcode, _ call: String) -> String? {
        code == CURLE_OK ? nil : "libcurl \(call) failed (\(String(cString: curl_easy_strerror(code))))"
    }

    /// nil when `code` is CURLM_OK, else "libcurl CALL failed (reason)".
    static func failure(_ code: CURLMcode, _ call: String) -> String? {
        code == CURLM_OK ? nil : "libcurl \(call) failed (\(String(cString: curl_multi_strerror(code))))"
    }
}
