/// Percent-encoding as AWS Signature V4 wants it: RFC 3986 unreserved characters kept, everything
/// else as uppercase `%XX` of its UTF-8 bytes.
public enum URIEncoding {
    /// Encodes `text`; `/` is kept when `keepSlash` (object keys in paths), encoded otherwise (query values).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            let unreserved = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            if unreserved || (keepSlash && b == 0x2F) {
                out.append(b)
            } else {
                out.append(0x25)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical query string: names and values encoded, pairs sorted by name then value.
    public static func canonicalQuery(_ items: [(String, String)]) -> String {
        items.map { (encode($0.0), encode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}
