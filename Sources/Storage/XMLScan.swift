/// Just enough XML reading for S3's flat responses (ListObjectsV2, errors, multipart upload ids),
/// without depending on FoundationXML and libxml2.
enum XMLScan {
    /// The text of every `<tag>…</tag>` element, entities decoded, in document order.
    static func values(of tag: String, in text: String) -> [String] {
        blocks(of: tag, in: text).map(decodeEntities)
    }

    /// The text of the first `<tag>…</tag>` element.
    static func firstValue(of tag: String, in text: String) -> String? {
        values(of: tag, in: text).first
    }

    /// The raw inner text of every `<tag>…</tag>` element (tags with attributes included).
    static func blocks(of tag: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        let close = "</\(tag)>"
        while let open = rest.range(of: "<\(tag)") {
            let after = rest[open.upperBound...]
            guard let first = after.first, first == ">" || first == " " || first == "/",
                  let gt = after.firstIndex(of: ">") else {
                rest = after
                continue
            }
            if after[..<gt].hasSuffix("/") {  // <Tag/>: empty element
                out.append("")
                rest = after[after.index(after: gt)...]
                continue
            }
            let body = after[after.index(after: gt)...]
            guard let end = body.range(of: close) else { break }
            out.append(String(body[..<end.lowerBound]))
            rest = body[end.upperBound...]
        }
        return out
    }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let tail = rest[amp...]
            guard let semi = tail.firstIndex(of: ";"), tail.distance(from: amp, to: semi) <= 10 else {
                out += "&"
                rest = tail.dropFirst()
                continue
            }
            let name = tail[tail.index(after: amp) ..< semi]
            var replacement: String?
            switch name {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if name.hasPrefix("#x") || name.hasPrefix("#X"), let v = UInt32(name.dropFirst(2), radix: 16),
                   let s = Unicode.Scalar(v) {
                    replacement = String(Character(s))
                } else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) {
                    replacement = String(Character(s))
                }
            }
            if let replacement {
                out += replacement
                rest = tail[tail.index(after: semi)...]
            } else {
                out += "&"
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }

    /// `text` escaped for an XML element body.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
