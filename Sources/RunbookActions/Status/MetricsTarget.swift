import RunbookCore

extension TargetKindID {
    /// Where `runbook run` writes its Prometheus metrics.
    public static let metrics = TargetKindID("metrics")
}

/// Target kind `metrics`: the Prometheus textfile-collector file `runbook run` and `runbook resume`
/// rewrite after every run. A profile has at most one; its target name is free (`metrics:` reads best).
public struct MetricsTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.metrics, of: MetricsTarget.self, summary: "The Prometheus textfile-collector file written after every run.", keys: [
        TargetKeySpec("textfile", .string, required: true, "Path of the `.prom` file, in node-exporter's `--collector.textfile.directory`; replaced atomically after every run (`--metrics-file` overrides it)."),
    ])

    public var textfile: String

    public init(textfile: String) { self.textfile = textfile }

    public init(fields: TargetFields) { textfile = fields.string("textfile") ?? "" }

    public var secretNames: [String] { [] }

    /// The profile's metrics file, if it names one.
    public static func textfile(in profile: Profile?) -> String? {
        profile?.targets.lazy.compactMap { $0.binding.configuration(as: MetricsTarget.self)?.textfile }.first
    }
}
