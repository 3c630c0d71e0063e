import Crypto
import Foundation

/// An X25519 age identity: the secret key, written `AGE-SECRET-KEY-1…`. It is a secret:
/// its description, debug description and mirror show only the public recipient.
public struct AgeIdentity: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    static let hrp = "age-secret-key-"
    let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// A new random identity (what `age-keygen` does).
    public static func generate() -> AgeIdentity {
        AgeIdentity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.privateKey = privateKey
    }

    /// Parses `AGE-SECRET-KEY-1…`. `source` names where the text came from in errors
    /// ("keys.txt line 3"); the text itself is never repeated.
    public init(_ text: String, source: String = "identity") throws {
        let decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw AgeError.invalidIdentity(source: source, reason: "not a Bech32 string (\(error))")
        }
        guard decoded.hrp == AgeIdentity.hrp else {
            throw AgeError.invalidIdentity(source: source, reason: "an X25519 identity starts with AGE-SECRET-KEY-1")
        }
        guard decoded.data.count == 32 else {
            throw AgeError.invalidIdentity(source: source, reason: "the key is \(decoded.data.count) bytes, not 32")
        }
        do {
            privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: decoded.data)
        } catch {
            throw AgeError.invalidIdentity(source: source, reason: "not an X25519 key")
        }
    }

    /// The matching `age1…` recipient.
    public var recipient: AgeRecipient { AgeRecipient(publicKey: privateKey.publicKey) }

    /// The secret `AGE-SECRET-KEY-1…` form, for writing an identity file. Never log it.
    public var secretText: String {
        Bech32.encode(hrp: AgeIdentity.hrp, data: Array(privateKey.rawRepresentation)).uppercased()
    }

    public var description: String { "age identity for \(recipient)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["recipient": recipient.description]) }

    /// The file key from the first stanza this identity opens, or nil.
    func unwrap(_ stanzas: [AgeStanza]) throws -> [UInt8]? {
        for stanza in stanzas {
            if let key = try AgeX25519.unwrap(stanza, with: privateKey) { return key }
        }
        return nil
    }
}
