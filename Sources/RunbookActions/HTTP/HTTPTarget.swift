import RunbookCore

extension TargetKindID {
    /// An HTTP service, by base URL.
    public static let http = TargetKindID("http")
}

/// Target kind `http`: a service's base URL, for `http.check`.
public struct HTTPTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.http, of: HTTPTarget.self, summary: "A service's base URL.", keys: [
        TargetKeySpec("base_url", .string, required: true, "Base URL requests are made against, e.g. `http://127.0.0.1:8080`."),
    ])

    public var baseURL: String

    public init(baseURL: String) { self.baseURL = baseURL }

    public init(fields: TargetFields) { baseURL = fields.string("base_url") ?? "" }

    public var secretNames: [String] { [] }
}

extension TargetBinding {
    public static func http(_ target: HTTPTarget) -> TargetBinding { TargetBinding(target) }
}
