/// The profile check of a repository target's `recipients` (rule `target-value`): each must
/// parse as an age X25519 recipient, so that a typo is refused when the profile loads, before
/// anything runs, rather than after a whole dump was produced and could not be encrypted.
enum RecipientKeyCheck {
    @Sendable static func problem(_ text: String) -> String? {
        do {
            _ = try AgeRecipient(text)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
