using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.CodeFixes.Fixes
{
    /// <summary>
    /// COMIMP002 and COMIMP007, "Revert in finally": wraps what the impersonation protects (after its failure check,
    /// to the revert, the signal or the end of the block) in <c>try { … } finally { revert; }</c>, with the revert
    /// in the impersonation's own flavour.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RevertInFinallyCodeFixProvider)), Shared]
    public sealed class RevertInFinallyCodeFixProvider : ImpersonationCodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("COMIMP002", "COMIMP007");

        internal override string Title => "Revert in finally";

        internal override SyntaxNode? Fix(SyntaxNode root, FixSemantics semantics, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken) =>
            target is InvocationExpressionSyntax impersonation
                ? ImpersonatedRegion.WrapInTryFinally(root, impersonation, endBefore: null, semantics, cancellationToken)
                : null;
    }
}
