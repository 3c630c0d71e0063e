import Foundation
import RunbookCore
import RunbookEngine

/// Putting a fetched, verified file where a one-off container of the compose service reads it
/// (`pitr.fetch-base-backup` for `via: compose`: the unpack step runs `tar` in such a
/// container, so the backup must be on one of the service's volumes, not on this machine).
/// The file goes in on stdin, lands as `DEST.partial`, is hashed again inside the container and
/// renamed only when its sha256 is the one checked while decrypting; otherwise it is deleted.
enum ContainerCopy {
    static let script = """
        umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1.partial" \
        && if [ "$(sha256sum < "$1.partial" | cut -d' ' -f1)" = "$2" ]; then mv -f -- "$1.partial" "$1"; \
        else rm -f -- "$1.partial"; echo "the copy of $1 in the container has another sha256 than the verified file" >&2; exit 1; fi
        """

    static func commands(_ server: PITRServer, file: String, to destination: String, sha256: String) -> [CommandLine] {
        [server.onHost(["sh", "-c", script, "sh", destination, sha256], serverStopped: true, stdinFile: file)]
    }

    static func copy(_ file: String, _ server: PITRServer, to destination: String, sha256: String, _ run: PITRRun) async throws {
        for command in commands(server, file: file, to: destination, sha256: sha256) {
            try await run.must(command, "copying the fetched \((file as NSString).lastPathComponent) into \(destination) (a one-off container of the service, which must have it on a volume)")
        }
    }
}
