import Foundation

/// Encrypting and decrypting between file handles in constant memory (1 MiB reads into one
/// reused buffer: allocating a fresh megabyte per read costs more than the cipher).
public enum AgeFileStreams {
    static let readSize = 1 << 20

    /// Calls `body` with each piece read from `input` until end of file.
    static func forEachPiece(of input: FileHandle, _ body: (Data) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try readPiece(input, into: buffer)
            if count == 0 { return }
            try body(Data(bytesNoCopy: buffer.baseAddress!, count: count, deallocator: .none))
        }
    }

    /// One read(2) into `buffer`, retried on EINTR; 0 at end of file.
    static func readPiece(_ input: FileHandle, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = read(input.fileDescriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }

    /// Encrypts everything `input` yields to `output`; returns the plaintext and ciphertext byte counts.
    @discardableResult
    public static func encrypt(from input: FileHandle, to output: FileHandle,
                               recipients: [AgeRecipient]) throws -> (plaintext: Int64, ciphertext: Int64) {
        var encryptor = try AgeEncryptor(recipients: recipients)
        let counts = try pump(from: input, to: output,
                              update: { try encryptor.update($0, emit: $1) }, finish: { try encryptor.finish(emit: $0) })
        return (counts.read, counts.written)
    }

    /// Decrypts `input` to `output`; returns the plaintext byte count. On a throw, `output` holds an
    /// authenticated prefix of the plaintext at most: the caller must discard it (see `AgeDecryptor`).
    @discardableResult
    public static func decrypt(from input: FileHandle, to output: FileHandle, identities: [AgeIdentity]) throws -> Int64 {
        var decryptor = AgeDecryptor(identities: identities)
        return try pump(from: input, to: output,
                        update: { try decryptor.update($0, emit: $1) }, finish: { try decryptor.finish(emit: $0) }).written
    }

    typealias Emit = (Data) throws -> Void

    /// Feeds every piece of `input` through `update`, then calls `finish`, writing what they emit.
    private static func pump(from input: FileHandle, to output: FileHandle, update: (Data, Emit) throws -> Void,
                             finish: (Emit) throws -> Void) throws -> (read: Int64, written: Int64) {
        var read: Int64 = 0, written: Int64 = 0
        let write: Emit = { piece in
            written += Int64(piece.count)
            try output.write(contentsOf: piece)
        }
        try forEachPiece(of: input) { piece in
            read += Int64(piece.count)
            try update(piece, write)
        }
        try finish(write)
        return (read, written)
    }
}
