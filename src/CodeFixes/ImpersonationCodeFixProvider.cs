using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// The shape every COMIMP fix shares. A fix is computed when it is offered, so it is offered only where it can
    /// be made (SPEC §4); Fix All applies the same fix to each diagnostic of a document in turn, on the document as
    /// the previous fixes left it, so fixes in one method never overwrite each other's edits.
    /// </summary>
    public abstract class ImpersonationCodeFixProvider : CodeFixProvider
    {
        /// <summary>The title shown in the light bulb (SPEC §4).</summary>
        internal abstract string Title { get; }

        /// <summary>
        /// The fixed syntax root, or null when the fix cannot be made safely here. <paramref name="target"/> is the
        /// diagnostic's node (an impersonation or signal call); <paramref name="related"/> is the node of its first
        /// additional location (the signal or impersonation the message names), if any.
        /// </summary>
        internal abstract SyntaxNode? Fix(SyntaxNode root, FixSemantics semantics, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken);

        /// <summary>The fixed and cleaned-up document, or null when the fix cannot be made here.</summary>
        internal async Task<Document?> ApplyAsync(Document document, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken)
        {
            if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root
                || await FixSemantics.CreateAsync(document, cancellationToken).ConfigureAwait(false) is not { } semantics
                || Fix(root, semantics, target, related, cancellationToken) is not { } newRoot)
            {
                return null;
            }

            return await CleanUpAsync(document.WithSyntaxRoot(newRoot), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Stable, and one per fix rather than per rule: COMIMP002 and COMIMP007 share "Revert in finally", and a
        /// Fix All over both (as <c>dotnet format analyzers --diagnostics COMIMP002 COMIMP007</c> asks for, with the
        /// key of whichever diagnostic came first) must fix both.
        /// </summary>
        internal string EquivalenceKey => "ComImpersonation." + GetType().Name;

        public sealed override FixAllProvider GetFixAllProvider() =>
            FixAllProvider.Create(FixAllInDocumentAsync, ImmutableArray.Create(FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution));

        public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            // A cancelled request ends here, also where no fix would be offered (the document's tree and model are often
            // cached, and asking for them then does not look at the token).
            context.CancellationToken.ThrowIfCancellationRequested();
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (Diagnostic diagnostic in context.Diagnostics)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                if (FindNode(root, diagnostic.Location) is not { } target)
                {
                    continue;
                }

                SyntaxNode? related = diagnostic.AdditionalLocations.Count > 0 ? FindNode(root, diagnostic.AdditionalLocations[0]) : null;
                Document? fixedDocument = await ApplyAsync(context.Document, target, related, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(Title, _ => Task.FromResult(fixedDocument), EquivalenceKey),
                        diagnostic);
                }
            }
        }

        /// <summary>
        /// Applies the fix to every diagnostic of one document, in document order. The diagnostics' nodes are
        /// marked first, so each is found again in the document the previous fixes produced.
        /// </summary>
        private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            CancellationToken cancellationToken = context.CancellationToken;
            SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return null;
            }

            var marks = new List<(SyntaxAnnotation Target, SyntaxAnnotation? Related)>();
            var annotations = new Dictionary<SyntaxNode, List<SyntaxAnnotation>>();
            foreach (Diagnostic diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (FindNode(root, diagnostic.Location) is not { } target)
                {
                    continue;
                }

                SyntaxAnnotation targetMark = Mark(annotations, target);
                SyntaxAnnotation? relatedMark = diagnostic.AdditionalLocations.Count > 0 && FindNode(root, diagnostic.AdditionalLocations[0]) is { } related
                    ? Mark(annotations, related)
                    : null;
                marks.Add((targetMark, relatedMark));
            }

            if (marks.Count == 0)
            {
                return null;
            }

            root = root.ReplaceNodes(annotations.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(annotations[original]));
            Document current = document.WithSyntaxRoot(root);
            foreach ((SyntaxAnnotation targetMark, SyntaxAnnotation? relatedMark) in marks)
            {
                cancellationToken.ThrowIfCancellationRequested();
                SyntaxNode? currentRoot = await current.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                SyntaxNode? target = currentRoot?.GetAnnotatedNodes(targetMark).FirstOrDefault();
                if (currentRoot is null || target is null)
                {
                    continue; // an earlier fix already rewrote this code
                }

                SyntaxNode? related = relatedMark is null ? null : currentRoot.GetAnnotatedNodes(relatedMark).FirstOrDefault();
                Document? fixedDocument = await ApplyAsync(current, target, related, cancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    current = fixedDocument;
                }
            }

            return current;
        }

        /// <summary>
        /// Ends every fix: adds the using directives the new code needs, shortens the names it wrote fully
        /// qualified, and formats what it created (<see cref="Formatter.Annotation"/>), leaving the rest untouched.
        /// </summary>
        private static async Task<Document> CleanUpAsync(Document document, CancellationToken cancellationToken)
        {
            document = await ImportAdder.AddImportsAsync(document, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            document = await Simplifier.ReduceAsync(document, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await Formatter.FormatAsync(document, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The call or object creation a diagnostic location covers exactly.</summary>
        private static SyntaxNode? FindNode(SyntaxNode root, Location location)
        {
            if (!location.IsInSource || location.SourceTree != root.SyntaxTree)
            {
                return null;
            }

            TextSpan span = location.SourceSpan;
            if (span.End > root.FullSpan.End)
            {
                return null;
            }

            for (SyntaxNode? node = root.FindNode(span, getInnermostNodeForTie: true); node is not null; node = node.Parent)
            {
                if (node.Span == span && node is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax)
                {
                    return node;
                }

                if (!node.Span.Contains(span) || node.Span.Length > span.Length)
                {
                    break;
                }
            }

            return null;
        }

        private static SyntaxAnnotation Mark(Dictionary<SyntaxNode, List<SyntaxAnnotation>> annotations, SyntaxNode node)
        {
            var mark = new SyntaxAnnotation("ComImpersonation.FixAllTarget");
            if (!annotations.TryGetValue(node, out List<SyntaxAnnotation>? list))
            {
                annotations[node] = list = new List<SyntaxAnnotation>();
            }

            list.Add(mark);
            return mark;
        }
    }
}
