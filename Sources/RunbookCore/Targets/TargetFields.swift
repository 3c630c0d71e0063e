import Foundation

/// A target's keys as the loader read them, checked against the kind's declaration, with
/// defaults filled in. A kind's typed target (`TargetConfiguration`) is built from these.
public struct TargetFields: Sendable {
    public enum Value: Sendable, Hashable {
        case string(String)
        case int(Int)
        case strings([String])
        case credential(Credential)
    }

    /// The chosen `via` (the default one when not written); nil for kinds without `via`.
    public var via: String?
    public var values: [String: Value]

    public init(via: String? = nil, values: [String: Value] = [:]) {
        self.via = via
        self.values = values
    }

    public func string(_ key: String) -> String? {
        switch values[key] {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        default: return nil
        }
    }

    public func int(_ key: String) -> Int? {
        switch values[key] {
        case .int(let i)?: return i
        case .string(let s)?: return Int(s)
        default: return nil
        }
    }

    public func strings(_ key: String) -> [String]? {
        if case .strings(let items)? = values[key] { return items }
        return nil
    }

    public func credential(_ key: String) -> Credential? {
        if case .credential(let c)? = values[key] { return c }
        return nil
    }

    /// The secret name of a key of type `secret` (or a `credential` written as a reference).
    public func secret(_ key: String) -> String? {
        if case .secret(let name)? = credential(key) { return name }
        return nil
    }
}
