import RunbookCore

extension TargetKindID {
    /// A group of hosts that share one target shape (a fleet).
    public static let group = TargetKindID("group")
}

/// Target kind `group`: hosts reached over ssh that share one target shape, such as ten
/// database hosts backed up the same way. The loader (`GroupReader`) makes each member a
/// target of the profile, so a step's `target: ${member}` is an ordinary target; a runbook
/// loops over them with `for_each: ${targets.NAME.members}`.
public struct HostGroup: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.group, of: HostGroup.self, summary: """
    Hosts that share one target shape (a fleet). Each member becomes a target of the profile, named as the member: the \
    shape, reaching the member's own ssh host (itself a target, named `GROUP.MEMBER`). A runbook loops over the members \
    with `for_each: ${targets.GROUP.members}`.
    """, keys: [
        TargetKeySpec("shape", .mapping("one target, as under `targets:`: `postgres` or `compose` (reached `via: ssh`, which may be left out), or `ssh`"), required: true, """
        What every member is. A postgres or compose shape must not name its `ssh` target: each member's is its own host. \
        Its keys are checked as a target's.
        """),
        TargetKeySpec("ssh", .mapping("`ssh` keys but `host`, usually"), """
        The ssh keys every member's host shares (`user`, `identity_file`, `known_hosts`, ...). Not with an `ssh` shape, \
        whose own keys are shared.
        """),
        TargetKeySpec("members", .mapping("member name to `ssh` keys"), required: true, """
        At least one. Each member's ssh keys (`host`, and `port`, `user`, ... when they differ), on top of the shared ones. \
        A member sets only ssh keys; a key of the shape (a `password`, say) is refused (`target-group`), the same for all. \
        Member names share the profile's target names.
        """),
    ], group: TargetGroupSpec(hostKind: .ssh))

    public var members: [String]
    /// The kind of every member target.
    public var shapeKind: String

    public init(members: [String], shapeKind: String) {
        self.members = members
        self.shapeKind = shapeKind
    }

    public init(fields: TargetFields) {
        self.init(members: fields.strings("members") ?? [], shapeKind: fields.string("shape") ?? "")
    }

    public var groupMembers: [String]? { members }
    /// The members' own targets hold the secrets; the group references none itself.
    public var secretNames: [String] { [] }
}
