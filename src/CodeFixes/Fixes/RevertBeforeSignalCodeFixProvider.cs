using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.CodeFixes.Fixes
{
    /// <summary>
    /// COMIMP003, "Revert before Signal": the thread is reverted right before the <c>Signal</c> statement. When the
    /// impersonation is in the same block, the statements between them go in <c>try { … } finally { revert; }</c>
    /// so that an exception cannot skip the revert either (a bare revert there would trade COMIMP003 for
    /// COMIMP007); otherwise the revert statement is inserted just before the signal.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RevertBeforeSignalCodeFixProvider)), Shared]
    public sealed class RevertBeforeSignalCodeFixProvider : ImpersonationCodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("COMIMP003");

        internal override string Title => "Revert before Signal";

        internal override SyntaxNode? Fix(SyntaxNode root, FixSemantics semantics, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken)
        {
            if (related is not InvocationExpressionSyntax impersonation
                || StatementFacts.EnclosingStatement(target) is not { } signalStatement
                || !StatementList.TryGet(signalStatement, out StatementList list, out int index))
            {
                return null;
            }

            if (ImpersonatedRegion.WrapInTryFinally(root, impersonation, signalStatement, semantics, cancellationToken) is { } wrapped)
            {
                return wrapped;
            }

            if (semantics.EndFor(impersonation, signalStatement.SpanStart, cancellationToken) is not { } revert)
            {
                return null;
            }

            // A line break of the file's own kind after the end: elastic trivia would let the formatter put a blank line
            // between an `if (…) { … }` it wrote and the signal.
            var inserted = revert.ToList();
            inserted[inserted.Count - 1] = inserted[inserted.Count - 1].WithTrailingTrivia(LineTrivia.LineEndOf(list.Owner));
            return root.ReplaceNode(list.Owner, list.With(list.Statements.InsertRange(index, inserted)));
        }
    }
}
