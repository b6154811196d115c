using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// The statements an impersonation protects, in the statement list that holds it: from just after the
    /// impersonation and its failure check to the first statement that reverts, the first that signals, or the end
    /// of the list. <see cref="WrapInTryFinally"/> puts them in <c>try { … } finally { revert; }</c> (SPEC §4,
    /// "Revert in finally").
    /// </summary>
    internal static class ImpersonatedRegion
    {
        /// <summary>
        /// Where the protected statements start: after <c>var hr = Impersonate(); if (hr &lt; 0) return hr;</c> in
        /// the same list, or at the top of the success block of <c>if (SUCCEEDED(Impersonate())) { … }</c>.
        /// False when the impersonation is not a statement (or success test) of its own in a block.
        /// </summary>
        private static bool TryFindStart(
            InvocationExpressionSyntax impersonation,
            FixSemantics semantics,
            CancellationToken cancellationToken,
            out StatementList list,
            out int start)
        {
            list = default;
            start = -1;
            StatementSyntax? statement = StatementFacts.EnclosingStatement(impersonation);
            ISymbol? result = null;
            switch (statement)
            {
                case IfStatementSyntax test when test.Condition.Span.Contains(impersonation.Span):
                    if (!TryGetTestSense(test.Condition, impersonation, semantics.Model, cancellationToken, out bool failureWhenTrue))
                    {
                        return false;
                    }

                    if (failureWhenTrue)
                    {
                        // if (CoImpersonateClient() < 0) return; …: the protected statements follow the test.
                        if (test.Else is not null || !StatementFacts.AlwaysLeaves(test.Statement) || !StatementList.TryGet(test, out list, out int index))
                        {
                            return false;
                        }

                        start = index + 1;
                    }
                    else if (test.Statement is BlockSyntax success)
                    {
                        // if (SUCCEEDED(CoImpersonateClient())) { … }: the success block is what is impersonated.
                        list = StatementList.Of(success);
                        start = 0;
                    }
                    else
                    {
                        return false;
                    }

                    break;

                case ExpressionStatementSyntax or LocalDeclarationStatementSyntax when StatementFacts.TopInvocation(statement) == impersonation:
                    if (!StatementList.TryGet(statement, out list, out int at))
                    {
                        return false;
                    }

                    result = StatementFacts.ResultHolder(statement, impersonation, semantics.Model, cancellationToken);
                    start = at + 1;
                    break;

                default:
                    return false;
            }

            SyntaxList<StatementSyntax> statements = list.Statements;
            while (start < statements.Count && StatementFacts.IsResultGuard(statements[start], result, semantics.Model, cancellationToken))
            {
                start++;
            }

            return true;
        }

        /// <summary>
        /// Wraps the statements <paramref name="impersonation"/> protects in <c>try</c> / <c>finally</c> with the
        /// revert in the <c>finally</c>: a revert statement that ends the region moves there; otherwise the matching
        /// revert is written. When the region ends at a signal, a later revert of the same thread becomes redundant
        /// and is removed. With <paramref name="endBefore"/>, the region must end just before that statement.
        /// Returns the new root, or null where this cannot be done without changing what the code means.
        /// </summary>
        public static SyntaxNode? WrapInTryFinally(
            SyntaxNode root,
            InvocationExpressionSyntax impersonation,
            StatementSyntax? endBefore,
            FixSemantics semantics,
            CancellationToken cancellationToken)
        {
            if (!TryFindStart(impersonation, semantics, cancellationToken, out StatementList list, out int start))
            {
                return null;
            }

            SyntaxList<StatementSyntax> statements = list.Statements;
            int end = start;
            StatementSyntax? revertToMove = null;
            bool endsAtSignal = false;
            for (; end < statements.Count; end++)
            {
                StatementSyntax statement = statements[end];
                if (statement == endBefore || StatementFacts.IsSignal(statement, semantics, cancellationToken))
                {
                    endsAtSignal = true;
                    break;
                }

                if (StatementFacts.IsPlainRevert(statement, semantics, cancellationToken))
                {
                    revertToMove = statement;
                    break;
                }
            }

            if (endBefore is not null && (end == statements.Count || statements[end] != endBefore))
            {
                return null;
            }

            // A closing `break;` or `return;` stays after the try: it leaves the same way either way.
            int regionEnd = end;
            if (end == statements.Count)
            {
                while (regionEnd > start && StatementFacts.IsBareJump(statements[regionEnd - 1]))
                {
                    regionEnd--;
                }
            }

            StatementSyntax revertStatement;
            if (revertToMove is not null)
            {
                revertStatement = revertToMove.WithLeadingTrivia(LineTrivia.WithoutBlankLines(revertToMove.GetLeadingTrivia()));
            }
            else if (semantics.RevertFor(impersonation, impersonation.SpanStart, cancellationToken) is { } revert)
            {
                revertStatement = SyntaxFactory.ExpressionStatement(revert);
            }
            else
            {
                return null;
            }

            var region = new List<StatementSyntax>();
            for (int i = start; i < regionEnd; i++)
            {
                region.Add(statements[i]);
            }

            var rewritten = new List<StatementSyntax>(statements.Take(start));
            if (region.Count == 0)
            {
                if (revertToMove is not null)
                {
                    return null; // the revert already follows the impersonation directly
                }

                // Nothing between the impersonation and the end can throw: the revert itself is enough.
                rewritten.Add(revertStatement.WithAdditionalAnnotations(Formatter.Annotation));
            }
            else
            {
                if (!CanMoveIntoBlock(region, regionEnd < statements.Count, list, semantics.Model, cancellationToken))
                {
                    return null;
                }

                SyntaxTriviaList leading = region[0].GetLeadingTrivia();
                region[0] = region[0].WithLeadingTrivia(LineTrivia.WithoutBlankLines(leading));
                TryStatementSyntax tryStatement = SyntaxFactory.TryStatement(
                        SyntaxFactory.Block(region),
                        default,
                        SyntaxFactory.FinallyClause(SyntaxFactory.Block(revertStatement)))
                    .WithLeadingTrivia(LineTrivia.BlankLines(leading))
                    .WithTrailingTrivia(LineTrivia.EndOfLineOf(region[region.Count - 1].GetTrailingTrivia()))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                rewritten.Add(tryStatement);
            }

            for (int i = regionEnd; i < statements.Count; i++)
            {
                if (statements[i] != revertToMove)
                {
                    rewritten.Add(statements[i]);
                }
            }

            if (endsAtSignal)
            {
                RemoveRedundantRevert(rewritten, rewritten.IndexOf(statements[end]), semantics, cancellationToken);
            }

            return root.ReplaceNode(list.Owner, list.With(SyntaxFactory.List(rewritten)));
        }

        /// <summary>
        /// After the signal the thread has already been reverted in the <c>finally</c>: the first revert statement
        /// after it (before any new impersonation) only repeats that, and goes.
        /// </summary>
        private static void RemoveRedundantRevert(List<StatementSyntax> statements, int signalIndex, FixSemantics semantics, CancellationToken cancellationToken)
        {
            for (int i = signalIndex + 1; i < statements.Count; i++)
            {
                if (StatementFacts.IsPlainRevert(statements[i], semantics, cancellationToken))
                {
                    statements.RemoveAt(i);
                    return;
                }

                if (StatementFacts.Impersonates(statements[i], semantics, cancellationToken))
                {
                    return;
                }
            }
        }

        /// <summary>
        /// Statements can move into a new block unless that would hide a name used after them, move a label out of
        /// reach of its <c>goto</c>, split a preprocessor region, or (for a region that stops before the end of
        /// its list) dispose a <c>using</c> declaration earlier than before.
        /// </summary>
        private static bool CanMoveIntoBlock(List<StatementSyntax> region, bool stopsBeforeEnd, StatementList list, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (StatementSyntax statement in region)
            {
                if (statement is LabeledStatementSyntax || statement.ContainsDirectives)
                {
                    return false;
                }

                if (stopsBeforeEnd && statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword })
                {
                    return false;
                }
            }

            return !StatementFacts.DeclaresNamesUsedElsewhere(region, StatementFacts.FunctionBodyOf(list.Owner), model, cancellationToken);
        }

        /// <summary>
        /// <c>if (CoImpersonateClient() &lt; 0) return;</c>: a test of the impersonation's own result, no <c>else</c>,
        /// whose branch is the failure branch and always leaves.
        /// </summary>
        public static bool IsFailureGuard(IfStatementSyntax test, SyntaxNode impersonation, SemanticModel model, CancellationToken cancellationToken) =>
            test.Else is null
            && StatementFacts.AlwaysLeaves(test.Statement)
            && test.Condition.Span.Contains(impersonation.Span)
            && TryGetTestSense(test.Condition, impersonation, model, cancellationToken, out bool failureWhenTrue)
            && failureWhenTrue;

        private static bool TryGetTestSense(ExpressionSyntax condition, SyntaxNode impersonation, SemanticModel model, CancellationToken cancellationToken, out bool failureWhenTrue)
        {
            failureWhenTrue = false;
            return model.GetOperation(condition, cancellationToken) is { } test
                && ResultChecks.TryGetFailureTest(test, out IOperation tested, out failureWhenTrue)
                && tested.Syntax.Span.Contains(impersonation.Span);
        }
    }
}
