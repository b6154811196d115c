using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>Asks providers for fixes and Fix All outside the testing library, as an IDE or <c>dotnet format</c> does.</summary>
    internal static class FixTestSupport
    {
        /// <summary>The code actions <paramref name="provider"/> registers for <paramref name="diagnostic"/>.</summary>
        public static async Task<List<CodeAction>> ActionsAsync(CodeFixProvider provider, Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            var actions = new List<CodeAction>();
            await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken));
            return actions;
        }

        /// <summary>Fix All in document scope for <paramref name="provider"/>'s diagnostics; null when nothing is fixed.</summary>
        public static async Task<Solution?> FixAllInDocumentAsync(CodeFixProvider provider, Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            ImmutableArray<Diagnostic> fixable = diagnostics.Where(d => provider.FixableDiagnosticIds.Contains(d.Id)).ToImmutableArray();
            if (fixable.IsEmpty)
            {
                return null;
            }

            // The equivalence key of the first action offered, as an IDE's "Fix all occurrences" passes it.
            string? key = null;
            foreach (Diagnostic diagnostic in fixable)
            {
                if ((await ActionsAsync(provider, document, diagnostic, CancellationToken.None)).FirstOrDefault() is { } first)
                {
                    key = first.EquivalenceKey;
                    break;
                }
            }

            if (key is null)
            {
                return null;
            }

            var context = new FixAllContext(
                document,
                provider,
                FixAllScope.Document,
                key,
                provider.FixableDiagnosticIds,
                new FixedDiagnostics(document, fixable),
                cancellationToken);
            CodeAction? action = await provider.GetFixAllProvider()!.GetFixAsync(context);
            return action is null ? null : await RobustnessHarness.ApplyAsync(action, cancellationToken);
        }

        /// <summary>Diagnostics already computed for one document.</summary>
        private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
        {
            private readonly Document _document;
            private readonly ImmutableArray<Diagnostic> _diagnostics;

            public FixedDiagnostics(Document document, ImmutableArray<Diagnostic> diagnostics)
            {
                _document = document;
                _diagnostics = diagnostics;
            }

            public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
                Task.FromResult(document.Id == _document.Id ? _diagnostics.AsEnumerable() : Enumerable.Empty<Diagnostic>());

            public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
                Task.FromResult(Enumerable.Empty<Diagnostic>());

            public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
                Task.FromResult(project.Id == _document.Project.Id ? _diagnostics.AsEnumerable() : Enumerable.Empty<Diagnostic>());
        }
    }
}
