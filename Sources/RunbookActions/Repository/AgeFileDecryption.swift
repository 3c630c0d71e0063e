import Foundation

extension AgeFileStreams {
    /// Decrypts the file at `source` into `destination` through `destination.partial`, renamed
    /// only after the whole stream verified: `destination` never holds a truncated or altered
    /// plaintext. Returns the plaintext byte count.
    @discardableResult
    public static func decryptFile(at source: String, to destination: String, identities: [AgeIdentity]) throws -> Int64 {
        guard let input = FileHandle(forReadingAtPath: source) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: source])
        }
        defer { try? input.close() }
        let output = try PartialFile(finalPath: destination)
        do {
            var decryptor = AgeDecryptor(identities: identities)
            let write: (Data) throws -> Void = { plain in try plain.withUnsafeBytes { try output.write($0) } }
            try forEachPiece(of: input) { try decryptor.update($0, emit: write) }
            try decryptor.finish(emit: write)
            try output.commit()
            return output.bytesWritten
        } catch {
            output.discard()
            throw error
        }
    }
}
