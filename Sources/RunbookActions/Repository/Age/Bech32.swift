import Foundation

/// Bech32 (BIP 173, the original checksum constant, not Bech32m) as age uses it for
/// `age1…` recipients and `AGE-SECRET-KEY-1…` identities, without BIP 173's 90-character limit.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let charsetValues: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, char) in charset.enumerated() {
            table[Int(char)] = Int8(index)
            table[Int(Character(Unicode.Scalar(char)).uppercased().utf8.first!)] = Int8(index)
        }
        return table
    }()
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    enum DecodeError: Error, Equatable {
        case mixedCase, noSeparator, badCharacter, badChecksum, badPadding, tooShort
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { checksum ^= generator[i] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups bits: 8 → 5 pads the tail with zeros; 5 → 8 refuses a tail of more than
    /// four bits or one that is not zero.
    private static func convert(_ data: [UInt8], from: Int, to: Int, pad: Bool) throws -> [UInt8] {
        var accumulator: UInt32 = 0, bits = 0
        var out = [UInt8]()
        let mask = UInt32(1 << to) - 1
        for value in data {
            accumulator = accumulator << UInt32(from) | UInt32(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8(accumulator >> UInt32(bits) & mask))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8(accumulator << UInt32(to - bits) & mask)) }
        } else if bits >= from || accumulator & ((1 << UInt32(bits)) - 1) != 0 {
            throw DecodeError.badPadding
        }
        return out
    }

    /// Lower-case encoding of `data` under `hrp` (which must be lower case).
    static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let values = try! convert(data, from: 8, to: 5, pad: true)
        let check = polymod(expand(hrpBytes) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8(check >> UInt32(5 * (5 - $0)) & 31) }
        return hrp + "1" + String(decoding: (values + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// Decodes a Bech32 string of one case; returns the human-readable part in lower case and the data bytes.
    static func decode(_ text: String) throws -> (hrp: String, data: [UInt8]) {
        let bytes = Array(text.utf8)
        let hasLower = bytes.contains { (0x61...0x7a).contains($0) }
        let hasUpper = bytes.contains { (0x41...0x5a).contains($0) }
        guard !(hasLower && hasUpper) else { throw DecodeError.mixedCase }
        guard let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator >= 1 else { throw DecodeError.noSeparator }
        guard bytes.count - separator - 1 >= 6 else { throw DecodeError.tooShort }
        let hrp = bytes[..<separator].map { (0x41...0x5a).contains($0) ? $0 + 32 : $0 }
        guard hrp.allSatisfy({ (0x21...0x7e).contains($0) }) else { throw DecodeError.badCharacter }
        var values = [UInt8]()
        for char in bytes[(separator + 1)...] {
            let value = charsetValues[Int(char)]
            guard value >= 0 else { throw DecodeError.badCharacter }
            values.append(UInt8(value))
        }
        guard polymod(expand(hrp) + values) == 1 else { throw DecodeError.badChecksum }
        let data = try convert(Array(values.dropLast(6)), from: 5, to: 8, pad: false)
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
