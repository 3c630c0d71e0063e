import Foundation

/// The regular files under a directory, as keys (`a/b.jpg`) relative to it.
struct LocalTree {
    struct File: Sendable {
        var key: String
        var size: Int64
    }

    var files: [File] = []
    /// `*.partial` files: ours, left by an interrupted download.
    var partials: [String] = []
    /// Symlinks, sockets and the like, which a mirror does not copy.
    var ignored: [String] = []

    /// Walks `root` without following symlinks. A missing root is an empty tree; `exclude`
    /// holds absolute paths to leave out (the manifest, when it is written inside the tree).
    static func scan(root: String, exclude: Set<String> = []) throws -> LocalTree {
        var tree = LocalTree()
        var info = stat()
        guard lstat(root, &info) == 0 else {
            if errno == ENOENT { return tree }
            throw LocalIOError(path: root, operation: "read", code: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw LocalIOError(path: root, operation: "mirror into or out of", code: ENOTDIR)
        }
        try walk(directory: root, key: "", exclude: exclude, into: &tree)
        tree.files.sort { $0.key < $1.key }
        return tree
    }

    private static func walk(directory: String, key: String, exclude: Set<String>, into tree: inout LocalTree) throws {
        guard let dir = opendir(directory) else { throw LocalIOError(path: directory, operation: "list", code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        for name in names.sorted() {
            let path = directory + "/" + name
            let childKey = key.isEmpty ? name : key + "/" + name
            if exclude.contains(path) { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else {
                if errno == ENOENT { continue }  // removed while we looked
                throw LocalIOError(path: path, operation: "read", code: errno)
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(directory: path, key: childKey, exclude: exclude, into: &tree)
            case S_IFREG:
                if name.hasSuffix(MirrorPaths.partialSuffix) {
                    tree.partials.append(childKey)
                } else {
                    tree.files.append(File(key: childKey, size: Int64(info.st_size)))
                }
            default:
                tree.ignored.append(childKey)
            }
        }
    }
}
