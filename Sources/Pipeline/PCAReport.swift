/// The explained-variance lines the original notebook printed after fitting Spark's PCA.
public enum PCAReport {
    /// `Explained variance (first 10): [a, b, ...]` then `Cumulative explained variance: x`, where
    /// x sums all k values left to right; numbers are written like Python's repr of a float.
    public static func explainedVarianceText(_ explainedVariance: [Double]) -> String {
        let first = explainedVariance.prefix(10).map(pythonRepr).joined(separator: ", ")
        let total = explainedVariance.reduce(0.0, +)
        return "Explained variance (first 10): [\(first)]\nCumulative explained variance: \(pythonRepr(total))"
    }

    /// Python's repr(float): shortest round-trip digits (Swift's description gives the same digits),
    /// in positional form for 1e-4 ≤ |x| < 1e16 (as Python does), else as d.ddde±XX.
    static func pythonRepr(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
        let (digits, exponent) = shortestDigits(x)
        let sign = x < 0 ? "-" : ""
        // exponent: value = 0.d1d2d3... × 10^exponent, so the decimal exponent of d1 is exponent − 1.
        let e = exponent - 1
        if e >= -4 && e < 16 {
            if e < 0 {
                return sign + "0." + String(repeating: "0", count: -e - 1) + digits
            }
            if digits.count <= e + 1 {
                return sign + digits + String(repeating: "0", count: e + 1 - digits.count) + ".0"
            }
            let cut = digits.index(digits.startIndex, offsetBy: e + 1)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let expSign = e < 0 ? "-" : "+"
        let expDigits = String(abs(e))
        return sign + mantissa + "e" + expSign + (expDigits.count < 2 ? "0" + expDigits : expDigits)
    }

    /// The shortest round-trip significant digits of |x| and its exponent (value = 0.digits × 10^exp),
    /// taken from Swift's description, which is also shortest round-trip.
    private static func shortestDigits(_ x: Double) -> (String, Int) {
        let text = abs(x).description  // e.g. "0.0123", "123.5", "1.5e-07", "1e+16"
        var mantissa = Substring(text)
        var exp10 = 0
        if let eIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<eIndex]
            exp10 = Int(text[text.index(after: eIndex)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        var all = intPart + fracPart
        var pointPosition = intPart.count + exp10
        while all.hasPrefix("0") && all.count > 1 {
            all.removeFirst()
            pointPosition -= 1
        }
        while all.hasSuffix("0") && all.count > 1 { all.removeLast() }
        return (all, pointPosition)
    }
}
