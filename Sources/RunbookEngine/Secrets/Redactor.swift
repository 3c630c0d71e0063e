import Foundation

/// Replaces secret values in text before it reaches the terminal, the journal,
/// the audit trail or a plan.
///
/// Besides the raw value it masks the forms a value commonly takes on the way
/// out: URL-encoded (`p%40ss`), base64 and base64url — including the value
/// embedded in a longer base64 string (e.g. `Authorization: Basic
/// base64(user:secret)`), which is why each of the three byte alignments is
/// masked. Values shorter than `minimumLength` would mask unrelated text and are
/// only masked in their raw form.
public struct Redactor: Sendable {
    /// What a secret becomes: `[secret:NAME]`.
    public static func placeholder(_ name: String) -> String { "[secret:\(name)]" }

    public static let minimumLength = 4

    /// (needle, replacement), longest needle first so a form never hides inside another's replacement.
    private let needles: [(String, String)]

    public static let none = Redactor(secrets: [:])

    public init(secrets: [String: String]) {
        var pairs: [String: String] = [:]
        for (name, value) in secrets where !value.isEmpty {
            for form in Self.forms(of: value) where pairs[form] == nil {
                pairs[form] = Self.placeholder(name)
            }
        }
        needles = pairs.sorted { $0.key.count != $1.key.count ? $0.key.count > $1.key.count : $0.key < $1.key }
    }

    public var isEmpty: Bool { needles.isEmpty }

    public func redact(_ text: String) -> String {
        guard !needles.isEmpty, !text.isEmpty else { return text }
        var out = text
        for (needle, replacement) in needles where out.contains(needle) {
            out = out.replacingOccurrences(of: needle, with: replacement)
        }
        return out
    }

    public func redact(_ values: [String]) -> [String] { values.map(redact) }

    /// Every textual form of `value` that is masked.
    static func forms(of value: String) -> [String] {
        var forms: Set<String> = [value]
        guard value.utf8.count >= minimumLength else { return Array(forms) }
        let bytes = Array(value.utf8)
        if let q = value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { forms.insert(q) }
        if let strict = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(strict) }
        forms.insert(value.replacingOccurrences(of: " ", with: "+"))
        // Whole-value base64, with and without padding, standard and URL alphabets.
        let whole = Data(bytes).base64EncodedString()
        for f in [whole, whole.trimmingCharacters(in: CharacterSet(charactersIn: "="))] {
            forms.insert(f)
            forms.insert(base64url(f))
        }
        // The value inside a longer base64 text: encode it at each byte offset and keep only
        // the characters that depend on the value's bytes alone.
        for offset in 0..<3 {
            let encoded = Array(Data([UInt8](repeating: 0, count: offset) + bytes).base64EncodedString().utf8)
            let leading = offset == 0 ? 0 : offset + 1
            let totalBits = (offset + bytes.count) * 8
            let fullChars = totalBits / 6
            guard fullChars - leading >= minimumLength else { continue }
            let core = String(decoding: encoded[leading..<fullChars], as: UTF8.self)
            forms.insert(core)
            forms.insert(base64url(core))
        }
        return forms.filter { !$0.isEmpty }
    }

    private static func base64url(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
