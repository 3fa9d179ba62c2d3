import Foundation

/// One environment variable's value, read against what the variable accepts: a value outside that is a
/// one-line error naming the variable, the value and what is accepted, never a silent default. An unset
/// or empty variable (`NAME= command`) gives the default.
public struct EnvironmentVariable: Sendable {
    public let name: String
    /// The value, nil when unset or empty.
    public let value: String?

    public init(_ name: String, in environment: [String: String]) {
        self.name = name
        let text = environment[name]?.trimmingCharacters(in: .whitespaces)
        value = (text?.isEmpty ?? true) ? nil : text
    }

    /// A value outside what the variable accepts: `NAME=value is not <accepted>`.
    public struct Invalid: Error, CustomStringConvertible, Equatable, Sendable {
        public var name: String
        public var value: String
        /// What the variable accepts, worded to follow "is not": "one of a, b", "a whole number from 1 to 8".
        public var accepted: String

        public var description: String { "\(name)=\(value) is not \(accepted)" }
    }

    private func invalid(_ value: String, _ accepted: String) -> Invalid {
        Invalid(name: name, value: value, accepted: accepted)
    }

    /// One of `T`'s cases by its raw value (case-insensitive), `defaultValue` when unset.
    public func choice<T: RawRepresentable & CaseIterable>(default defaultValue: T) throws -> T where T.RawValue == String {
        guard let value else { return defaultValue }
        if let chosen = T.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) { return chosen }
        throw invalid(value, "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
    }

    /// Words read as on (1, true, yes) and off (0, false, no), in any case.
    public static let onWords = ["1", "true", "yes"], offWords = ["0", "false", "no"]

    /// A switch: on for 1, true, yes; off for 0, false, no and when unset.
    public func flag() throws -> Bool {
        guard let value = value?.lowercased() else { return false }
        if Self.onWords.contains(value) { return true }
        if Self.offWords.contains(value) { return false }
        throw invalid(self.value ?? "", "one of " + (Self.onWords + Self.offWords).joined(separator: ", "))
    }

    /// A whole number in `range` (its upper bound `Int.max` for "at least"), nil when unset.
    public func integer(in range: ClosedRange<Int>) throws -> Int? {
        guard let value else { return nil }
        guard let n = Int(value), range.contains(n) else {
            let bounds = range.upperBound == .max ? "of at least \(range.lowerBound)"
                : "from \(range.lowerBound) to \(range.upperBound)"
            throw invalid(value, "a whole number \(bounds)")
        }
        return n
    }

    /// A finite number above zero (seconds, say: `unit` words it), nil when unset.
    public func positiveNumber(unit: String) throws -> Double? {
        guard let value else { return nil }
        guard let x = Double(value), x.isFinite, x > 0 else { throw invalid(value, "a number of \(unit) above 0") }
        return x
    }
}
