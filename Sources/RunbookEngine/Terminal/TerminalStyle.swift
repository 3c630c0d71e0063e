import Foundation

/// Colour and live redrawing only on a terminal, and colour never when NO_COLOR is set
/// (https://no-color.org: any non-empty value).
public struct TerminalStyle: Sendable {
    public var isTTY: Bool
    public var colour: Bool

    public init(isTTY: Bool, colour: Bool) {
        self.isTTY = isTTY
        self.colour = colour
    }

    public static func detect(fd: Int32 = STDOUT_FILENO, environment: [String: String] = ProcessInfo.processInfo.environment) -> TerminalStyle {
        let tty = isatty(fd) == 1
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        let dumb = environment["TERM"] == "dumb"
        return TerminalStyle(isTTY: tty, colour: tty && !noColor && !dumb)
    }

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func green(_ s: String) -> String { paint(s, "32") }
    func red(_ s: String) -> String { paint(s, "31") }
    func yellow(_ s: String) -> String { paint(s, "33") }
    func dim(_ s: String) -> String { paint(s, "2") }
    func bold(_ s: String) -> String { paint(s, "1") }
}
