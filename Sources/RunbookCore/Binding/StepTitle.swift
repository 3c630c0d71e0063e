import Foundation

extension Step {
    /// The title with its `${...}` references filled in from `scope`: a loop item's title names
    /// its item, and the loop as a whole speaks of "each <variable>" ("Restore each database").
    /// A reference that cannot be resolved leaves the title as written: a title never fails a step.
    public func title(in scope: Scope) -> String? {
        guard let title, title.utf8.contains(UInt8(ascii: "$")) else { return title }
        var scope = scope
        if let name = loopVariable, scope.loop[name] == nil {
            scope = scope.with(loopVariable: name, value: .string("each \(name)"))
        }
        return (try? Evaluator(scope: scope).string(Templated(title, at: location))) ?? title
    }
}
