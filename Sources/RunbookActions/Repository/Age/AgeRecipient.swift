import Crypto
import Foundation

/// An X25519 age recipient: the public half of a key pair, written `age1…` (Bech32).
/// Anyone holding it can encrypt to it; only the matching identity decrypts.
public struct AgeRecipient: Equatable, CustomStringConvertible {
    static let hrp = "age"
    let publicKey: Curve25519.KeyAgreement.PublicKey

    init(publicKey: Curve25519.KeyAgreement.PublicKey) {
        self.publicKey = publicKey
    }

    /// Parses an `age1…` recipient as `age-keygen` prints it.
    public init(_ text: String) throws {
        // A secret pasted where a recipient belongs must not be echoed into an error message.
        guard !text.uppercased().hasPrefix("AGE-SECRET-KEY-") else {
            throw AgeError.invalidRecipient("AGE-SECRET-KEY-1…", reason:
                "this is a secret identity, not a recipient: give its public key (age-keygen -y prints it) and keep the secret off this host")
        }
        let decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw AgeError.invalidRecipient(text, reason: "not a Bech32 string (\(error))")
        }
        guard decoded.hrp == AgeRecipient.hrp, text.hasPrefix("age1") else {
            throw AgeError.invalidRecipient(text, reason: "an X25519 recipient starts with age1")
        }
        guard decoded.data.count == 32 else {
            throw AgeError.invalidRecipient(text, reason: "the key is \(decoded.data.count) bytes, not 32")
        }
        publicKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: decoded.data)
    }

    /// The `age1…` form.
    public var description: String { Bech32.encode(hrp: AgeRecipient.hrp, data: Array(publicKey.rawRepresentation)) }

    public static func == (a: AgeRecipient, b: AgeRecipient) -> Bool {
        a.publicKey.rawRepresentation == b.publicKey.rawRepresentation
    }
}
