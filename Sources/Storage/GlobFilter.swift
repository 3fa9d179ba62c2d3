/// A file-name filter like Spark's `pathGlobFilter` (Hadoop glob syntax): `*`, `?`, `[abc]`, `[a-z]`,
/// `[!x]` or `[^x]`, `{a,b}` alternatives and `\` escapes, matched against the name, not the folders.
public struct GlobFilter: Sendable, Equatable {
    public let pattern: String
    public let caseInsensitive: Bool
    private let alternatives: [[Character]]

    /// `*.jpg` and `*.jpeg` in any case: what the notebook reads.
    public static let images = GlobFilter("*.{jpg,jpeg}", caseInsensitive: true)

    public init(_ pattern: String, caseInsensitive: Bool = false) {
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
        let text = caseInsensitive ? pattern.lowercased() : pattern
        alternatives = Self.expandBraces(Array(text))
    }

    /// Whether the file name `name` (the last path component) matches.
    public func matches(_ name: String) -> Bool {
        let chars = Array(caseInsensitive ? name.lowercased() : name)
        return alternatives.contains { Self.match($0[...], chars[...]) }
    }

    /// Whether the last component of `path` matches.
    public func matchesPath(_ path: String) -> Bool {
        matches(path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path)
    }

    /// `{a,b}` groups expanded into plain patterns (nested groups included).
    static func expandBraces(_ p: [Character]) -> [[Character]] {
        var depth = 0
        var open = -1
        var i = 0
        while i < p.count {
            let c = p[i]
            if c == "\\" { i += 2; continue }
            if c == "{" { if depth == 0 { open = i }; depth += 1 }
            if c == "}" && depth > 0 {
                depth -= 1
                if depth == 0 {
                    var options: [[Character]] = []
                    var current: [Character] = []
                    var inner = 0
                    var j = open + 1
                    while j < i {
                        let d = p[j]
                        if d == "\\", j + 1 < i { current += [d, p[j + 1]]; j += 2; continue }
                        if d == "{" { inner += 1 } else if d == "}" { inner -= 1 }
                        if d == "," && inner == 0 { options.append(current); current = [] } else { current.append(d) }
                        j += 1
                    }
                    options.append(current)
                    let head = Array(p[..<open]), tail = Array(p[(i + 1)...])
                    return options.flatMap { expandBraces(head + $0 + tail) }
                }
            }
            i += 1
        }
        return [p]
    }

    static func match(_ p: ArraySlice<Character>, _ s: ArraySlice<Character>) -> Bool {
        var p = p, s = s
        while let c = p.first {
            switch c {
            case "*":
                let rest = p.dropFirst()
                if rest.isEmpty { return true }
                var tail = s
                while true {
                    if match(rest, tail) { return true }
                    guard !tail.isEmpty else { return false }
                    tail = tail.dropFirst()
                }
            case "?":
                guard !s.isEmpty else { return false }
                p = p.dropFirst(); s = s.dropFirst()
            case "[":
                guard let ch = s.first, let close = p.dropFirst(2).firstIndex(of: "]") else {
                    if s.first == "[" { p = p.dropFirst(); s = s.dropFirst(); continue }
                    return false
                }
                var set = p[(p.startIndex + 1) ..< close]
                let negate = set.first == "!" || set.first == "^"
                if negate { set = set.dropFirst() }
                var found = false
                var k = set.startIndex
                while k < set.endIndex {
                    if k + 2 < set.endIndex, set[k + 1] == "-" {
                        if set[k] <= ch && ch <= set[k + 2] { found = true }
                        k += 3
                    } else {
                        if set[k] == ch { found = true }
                        k += 1
                    }
                }
                guard found != negate else { return false }
                p = p[(close + 1)...]; s = s.dropFirst()
            case "\\" where p.count > 1:
                guard s.first == p[p.startIndex + 1] else { return false }
                p = p.dropFirst(2); s = s.dropFirst()
            default:
                guard s.first == c else { return false }
                p = p.dropFirst(); s = s.dropFirst()
            }
        }
        return s.isEmpty
    }
}
