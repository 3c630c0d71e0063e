import Foundation

/// What makes a target kind a group (`TargetKindSpec.group`): the profile loader reads such a
/// target as a `shape` (one target of another kind), the keys its members share, and
/// `members` (name to the keys of its own host), and makes every member a target of the
/// profile: the shape, reaching its member's host through the shape kind's key of type
/// `.target(hostKind)` (postgres' and compose's `ssh`). A runbook loops over the members with
/// `for_each: ${targets.NAME.members}`.
public struct TargetGroupSpec: Sendable {
    /// The kind of each member's host (`ssh`): a member's keys are this kind's.
    public var hostKind: TargetKindID
    public init(hostKind: TargetKindID) { self.hostKind = hostKind }
}

extension TargetConfiguration {
    /// Not a group.
    public var groupMembers: [String]? { nil }
}

extension Profile {
    /// Each group target's members, for `${targets.NAME.members}`.
    public var groupMembers: [String: [String]] {
        var out: [String: [String]] = [:]
        for t in targets { if let members = t.binding.configuration.groupMembers { out[t.name] = members } }
        return out
    }
}
