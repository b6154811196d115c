using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ComImpersonation.CodeFixes.Fixes
{
    /// <summary>
    /// COMIMP001, "Move impersonation before Signal": the <c>Signal</c> statement moves to just after the
    /// impersonated region (after the statement that reverts, the <c>try</c>/<c>finally</c> or <c>using</c> that
    /// reverts, or the client-identity call), so the impersonation runs while the call context still exists.
    /// Offered only when both are statements of one block, signal first, and no path between them could leave the
    /// method without signalling (other than the impersonation's own failure check throwing or returning the failure,
    /// which fails the call). A signal alone in an <c>if</c> without <c>else</c> moves with its <c>if</c> when the
    /// condition has no effect and nothing it reads can change in between (<see cref="EarlySignalTest"/>).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveSignalAfterImpersonationCodeFixProvider)), Shared]
    public sealed class MoveSignalAfterImpersonationCodeFixProvider : ImpersonationCodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("COMIMP001");

        internal override string Title => "Move impersonation before Signal";

        internal override SyntaxNode? Fix(SyntaxNode root, FixSemantics semantics, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken)
        {
            if (related is not InvocationExpressionSyntax signal
                || StatementFacts.EnclosingStatement(signal) is not { } signalCall
                || StatementFacts.PlainCall(signalCall) != signal)
            {
                return null;
            }

            // `if (small) { sync.Signal(); }` before the impersonation (an early signal for some requests) moves as a
            // whole, when its condition reads the same after the region as before it.
            StatementSyntax signalStatement = EarlySignalTest.Enclosing(signalCall, semantics.Model, cancellationToken) ?? signalCall;
            if (!StatementList.TryGet(signalStatement, out StatementList list, out int signalIndex)
                || AnchorIn(list, target) is not { } anchor)
            {
                return null;
            }

            SyntaxList<StatementSyntax> statements = list.Statements;
            int anchorIndex = statements.IndexOf(anchor);
            if (anchorIndex <= signalIndex)
            {
                return null; // the signal comes from an earlier iteration or another branch, not from before in this block
            }

            int regionEnd = RegionEnd(statements, anchorIndex, target, semantics, cancellationToken);
            if (regionEnd < 0
                || FailureChecksBetween(statements, signalIndex, anchorIndex, regionEnd, target, semantics, cancellationToken) is not { } failureChecks
                || WritesWhatSignalReads(statements, signalIndex, regionEnd, signalStatement, semantics.Model, cancellationToken)
                || (signalStatement != signalCall && EarlySignalTest.MayChangeBetween(signalStatement, semantics.Model, cancellationToken)))
            {
                return null;
            }

            // The signal takes its comments along; the blank lines around it stay where they were.
            SyntaxTriviaList leading = signalStatement.GetLeadingTrivia();
            StatementSyntax moved = signalStatement
                .WithLeadingTrivia(LineTrivia.WithoutBlankLines(leading))
                .WithAdditionalAnnotations(Formatter.Annotation);
            var rewritten = new List<StatementSyntax>(statements);
            StatementSyntax next = rewritten[signalIndex + 1];
            rewritten[signalIndex + 1] = next.WithLeadingTrivia(
                LineTrivia.BlankLines(leading).AddRange(LineTrivia.WithoutBlankLines(next.GetLeadingTrivia())));
            foreach (int index in failureChecks)
            {
                rewritten[index] = SignalBeforeBareReturns(rewritten[index], signalStatement);
            }

            rewritten.Insert(regionEnd + 1, moved);
            rewritten.RemoveAt(signalIndex);
            return root.ReplaceNode(list.Owner, list.With(SyntaxFactory.List(rewritten)));
        }

        /// <summary>The statement of <paramref name="list"/> that contains <paramref name="impersonation"/>, in the same function.</summary>
        private static StatementSyntax? AnchorIn(StatementList list, SyntaxNode impersonation)
        {
            for (SyntaxNode? current = impersonation.Parent; current is not null; current = current.Parent)
            {
                if (current is StatementSyntax statement && statement.Parent == list.Owner)
                {
                    return statement;
                }

                if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                {
                    return null;
                }
            }

            return null;
        }

        /// <summary>
        /// The index of the last statement of the impersonated region: the anchor itself when it ends the
        /// impersonation (a <c>using</c> scope, a client-identity call, a statement that reverts on every path),
        /// else the first later statement that reverts on every path. -1 when there is none: moving the signal
        /// then could leave it inside the impersonation (COMIMP003).
        /// </summary>
        private static int RegionEnd(SyntaxList<StatementSyntax> statements, int anchorIndex, SyntaxNode impersonation, FixSemantics semantics, CancellationToken cancellationToken)
        {
            StatementSyntax anchor = statements[anchorIndex];
            ISymbol? result = impersonation is InvocationExpressionSyntax invocation
                ? StatementFacts.ResultHolder(anchor, invocation, semantics.Model, cancellationToken)
                : null;
            if (anchor is UsingStatementSyntax
                || (impersonation is InvocationExpressionSyntax call && semantics.IsClientIdentityCall(call, cancellationToken))
                || RevertsOnEveryPath(anchor, impersonation, result, semantics, cancellationToken))
            {
                return anchorIndex;
            }

            for (int i = anchorIndex + 1; i < statements.Count; i++)
            {
                if (RevertsOnEveryPath(statements[i], impersonation, result, semantics, cancellationToken))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>
        /// True when every path through <paramref name="statement"/> that may still be impersonating reverts: a
        /// revert statement, a <c>try</c> whose <c>finally</c> reverts, a block with such a statement, or an
        /// <c>if</c> whose branches do (without <c>else</c>, only when its condition tests the impersonation's
        /// result for success, so the path around it did not impersonate).
        /// </summary>
        private static bool RevertsOnEveryPath(StatementSyntax statement, SyntaxNode impersonation, ISymbol? result, FixSemantics semantics, CancellationToken cancellationToken) => statement switch
        {
            _ when StatementFacts.IsRevertStatement(statement, semantics, cancellationToken) => true,
            _ when StatementFacts.IsTryWithRevertInFinally(statement, semantics, cancellationToken) => true,
            BlockSyntax block => block.Statements.Any(inner => RevertsOnEveryPath(inner, impersonation, result, semantics, cancellationToken)),
            IfStatementSyntax test => RevertsOnEveryPath(test.Statement, impersonation, result, semantics, cancellationToken)
                && (test.Else is { } otherwise
                    ? RevertsOnEveryPath(otherwise.Statement, impersonation, result, semantics, cancellationToken)
                    : IsSuccessTest(test.Condition, impersonation, result, semantics, cancellationToken)),
            _ => false,
        };

        private static bool IsSuccessTest(ExpressionSyntax condition, SyntaxNode impersonation, ISymbol? result, FixSemantics semantics, CancellationToken cancellationToken) =>
            semantics.Model is var model
            && model.GetOperation(condition, cancellationToken) is { } operation
            && ResultChecks.TryGetFailureTest(operation, ImpersonatedRegion.ShapeOf(impersonation, semantics, cancellationToken), out IOperation tested, out bool failureWhenTrue)
            && !failureWhenTrue
            && (tested.Syntax.Span.Contains(impersonation.Span)
                || (result is not null && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(tested.Syntax, cancellationToken).Symbol, result)));

        /// <summary>
        /// The indexes of the impersonation's own failure checks among the statements the signal moves past, or null
        /// when one of the others may return, jump or break out (the call would then never be signalled). A failure
        /// check may leave: by throwing or returning the failure, COM fails the call; a bare <c>return;</c> reports
        /// success, so the fix signals right before it, as the code did before the impersonation.
        /// </summary>
        private static List<int>? FailureChecksBetween(
            SyntaxList<StatementSyntax> statements,
            int signalIndex,
            int anchorIndex,
            int regionEnd,
            SyntaxNode impersonation,
            FixSemantics semantics,
            CancellationToken cancellationToken)
        {
            ISymbol? result = impersonation is InvocationExpressionSyntax call
                ? StatementFacts.ResultHolder(statements[anchorIndex], call, semantics.Model, cancellationToken)
                : null;
            var failureChecks = new List<int>();
            bool inFailureChecks = true;
            for (int i = signalIndex + 1; i <= regionEnd; i++)
            {
                StatementSyntax statement = statements[i];
                bool isFailureCheck =
                    (i == anchorIndex && statement is IfStatementSyntax test && ImpersonatedRegion.IsFailureGuard(test, impersonation, semantics, cancellationToken))
                    || (i > anchorIndex && inFailureChecks && StatementFacts.IsResultGuard(statement, result, semantics.Model, cancellationToken));
                if (i > anchorIndex && !isFailureCheck)
                {
                    inFailureChecks = false;
                }

                if (isFailureCheck)
                {
                    failureChecks.Add(i);
                }

                if (StatementFacts.MayJumpOut(statement, exceptReturns: isFailureCheck))
                {
                    return null;
                }
            }

            return failureChecks;
        }

        /// <summary>Puts a copy of the signal before every <c>return;</c> of a failure check.</summary>
        private static StatementSyntax SignalBeforeBareReturns(StatementSyntax failureCheck, StatementSyntax signalStatement)
        {
            StatementSyntax signal = signalStatement.WithoutTrivia().WithAdditionalAnnotations(Formatter.Annotation);
            IEnumerable<SyntaxNode> holders = failureCheck
                .DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax)
                .OfType<ReturnStatementSyntax>()
                .Where(r => r.Expression is null)
                .Select(r => r.Parent is BlockSyntax block ? block : (SyntaxNode)r)
                .Distinct();

            return failureCheck.ReplaceNodes(holders, (original, rewritten) =>
            {
                if (rewritten is BlockSyntax block)
                {
                    var statements = new List<StatementSyntax>();
                    foreach (StatementSyntax statement in block.Statements)
                    {
                        if (statement is ReturnStatementSyntax { Expression: null })
                        {
                            statements.Add(signal.WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(statement.GetTrailingTrivia()));
                        }

                        statements.Add(statement);
                    }

                    return block.WithStatements(SyntaxFactory.List(statements));
                }

                // if (hr < 0) return;  =>  if (hr < 0) { signal; return; }
                return SyntaxFactory.Block(
                        signal.WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed),
                        ((StatementSyntax)rewritten).WithoutTrivia().WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed))
                    .WithTriviaFrom(rewritten)
                    .WithAdditionalAnnotations(Formatter.Annotation);
            });
        }

        /// <summary>True when a statement the signal moves past assigns something the signal statement reads (its receiver).</summary>
        private static bool WritesWhatSignalReads(SyntaxList<StatementSyntax> statements, int signalIndex, int regionEnd, StatementSyntax signalStatement, SemanticModel model, CancellationToken cancellationToken)
        {
            var read = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (IdentifierNameSyntax name in signalStatement.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (model.GetSymbolInfo(name, cancellationToken).Symbol is (ILocalSymbol or IFieldSymbol or IParameterSymbol or IPropertySymbol) and { } symbol)
                {
                    read.Add(symbol);
                }
            }

            for (int i = signalIndex + 1; i <= regionEnd; i++)
            {
                foreach (SyntaxNode node in statements[i].DescendantNodes())
                {
                    ExpressionSyntax? written = node switch
                    {
                        AssignmentExpressionSyntax assignment => assignment.Left,
                        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                        PostfixUnaryExpressionSyntax postfix => postfix.Operand,
                        ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                        _ => null,
                    };

                    if (written is not null && model.GetSymbolInfo(written, cancellationToken).Symbol is { } symbol && read.Contains(symbol))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
