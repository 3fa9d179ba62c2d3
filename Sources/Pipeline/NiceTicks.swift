import Foundation

/// Round axis ticks: a step of 1, 2 or 5 times a power of ten, and a range widened to whole steps so
/// that every value lies inside the axis.
struct NiceTicks: Equatable {
    let lower: Double
    let upper: Double
    let step: Double

    /// Ticks covering `[low, high]` with about `target` intervals; `integer` keeps the step ≥ 1.
    init(low: Double, high: Double, target: Int = 5, integer: Bool = false) {
        var (lo, hi) = (min(low, high), max(low, high))
        if !(hi > lo) {  // one value, or none finite: a unit span around it
            let centre = lo.isFinite ? lo : 0
            (lo, hi) = (centre - 0.5, centre + 0.5)
        }
        var step = Self.niceStep((hi - lo) / Double(max(1, target)))
        if integer { step = max(1, step.rounded()) }
        self.step = step
        lower = (lo / step).rounded(.down) * step
        upper = (hi / step).rounded(.up) * step
    }

    /// Ticks with a given range and step (for axes whose ends are not ticks).
    init(lower: Double, upper: Double, step: Double) {
        self.lower = lower
        self.upper = upper
        self.step = step
    }

    /// The smallest of 1, 2, 5 × 10ⁿ that is at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2.0, 5.0, 10.0] where m * power >= raw * (1 - 1e-12) { return m * power }
        return 10 * power
    }

    /// The tick values from `lower` to `upper`, each an exact multiple of the step as printed.
    var values: [Double] {
        let count = Int(((upper - lower) / step).rounded())
        return (0...max(0, count)).map { (lower / step).rounded() * step + Double($0) * step }
    }

    /// Decimals needed to print the step exactly (0 for steps ≥ 1).
    var decimals: Int { max(0, -Int((log10(step)).rounded(.down))) }

    /// A tick value printed with just the decimals its step needs (`-0` printed as `0`).
    func label(_ value: Double) -> String {
        String(format: "%.\(decimals)f", abs(value) < step * 1e-9 ? 0 : value)
    }
}
