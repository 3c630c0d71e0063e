/// What one clean-up of a namespace removed: the keys of incomplete multipart uploads it aborted
/// and of unlisted objects it deleted (what interrupted pushes left).
public struct RepositoryLeftovers: Sendable, Equatable {
    public var namespace: String
    public var abortedUploads: [String] = []
    public var deletedObjects: [String] = []

    public init(namespace: String, abortedUploads: [String] = [], deletedObjects: [String] = []) {
        self.namespace = namespace
        self.abortedUploads = abortedUploads
        self.deletedObjects = deletedObjects
    }

    public var isEmpty: Bool { abortedUploads.isEmpty && deletedObjects.isEmpty }
}
