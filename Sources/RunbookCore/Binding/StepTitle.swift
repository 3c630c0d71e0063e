import Foundation

extension Step {
    /// The title with its `${...}` references filled in from `scope` (a loop item's title names
    /// its item), or as written when a reference cannot be resolved there, such as a loop
    /// variable in the title of the loop as a whole: a title never fails a step.
    public func title(in scope: Scope) -> String? {
        guard let title, title.utf8.contains(UInt8(ascii: "$")) else { return title }
        return (try? Evaluator(scope: scope).string(Templated(title, at: location))) ?? title
    }
}
