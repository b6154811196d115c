using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ComImpersonation.CodeFixes.Fixes
{
    /// <summary>
    /// COMIMP004, "Throw on failure": a discarded result is checked in its row's own way (<see cref="ResultCheckWriter"/>):
    /// <c>Marshal.ThrowExceptionForHR(…)</c> (an <c>int</c> or <c>uint</c> HRESULT), <c>….ThrowOnFailure()</c> /
    /// <c>….ThrowIfFailed()</c> (an HRESULT struct that has it), <c>Marshal.ThrowExceptionForHR(… | 0x10000000)</c> (an
    /// NTSTATUS, as HRESULT_FROM_NT); a Win32 BOOL becomes <c>if (!…) throw new Win32Exception();</c> (the last error),
    /// an RPC_STATUS or SECURITY_STATUS <c>var status = …; if (status != 0) throw new Win32Exception(status);</c>. A
    /// result stored in a local that is never read is checked right after the store. Not offered for a throwing
    /// projection whose exception a <c>catch</c> swallows: whether to rethrow there is the author's decision.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ThrowOnFailureCodeFixProvider)), Shared]
    public sealed class ThrowOnFailureCodeFixProvider : ImpersonationCodeFixProvider
    {
        private const string StatusVariableName = "status";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("COMIMP004");

        internal override string Title => "Throw on failure";

        internal override SyntaxNode? Fix(SyntaxNode root, FixSemantics semantics, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken)
        {
            if (target is not InvocationExpressionSyntax impersonation
                || semantics.Model.GetTypeInfo(impersonation, cancellationToken).Type is not { } resultType)
            {
                return null;
            }

            (ResultShape shape, FailureCheck check) = semantics.ResultOf(impersonation, cancellationToken);
            if (check == FailureCheck.None)
            {
                return null;
            }

            return ResultCheckWriter.ThrowsWithStatement(shape, check)
                ? RewriteWithStatements(root, impersonation, shape, resultType, semantics, cancellationToken)
                : Rewrite(root, impersonation, shape, check, resultType, semantics, cancellationToken);
        }

        /// <summary>Win32 BOOL results and error codes are checked by an <c>if</c> statement: only where a statement can go.</summary>
        private static SyntaxNode? RewriteWithStatements(SyntaxNode root, InvocationExpressionSyntax impersonation, ResultShape shape, ITypeSymbol resultType, FixSemantics semantics, CancellationToken cancellationToken)
        {
            SyntaxNode parent = impersonation.Parent!;
            while (parent is ParenthesizedExpressionSyntax)
            {
                parent = parent.Parent!;
            }

            ExpressionStatementSyntax? statement = parent switch
            {
                ExpressionStatementSyntax direct => direct,
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax discarded } discard
                    when semantics.Model.GetSymbolInfo(discard.Left, cancellationToken).Symbol is null or IDiscardSymbol => discarded,
                _ => null,
            };

            ExpressionSyntax call = impersonation.WithoutTrivia();
            if (statement is not null)
            {
                if (shape != ResultShape.Status)
                {
                    // ImpersonateLoggedOnUser(token);  =>  if (!ImpersonateLoggedOnUser(token)) { throw new Win32Exception(); }
                    // A comment after the call stays on its line, after the condition.
                    IfStatementSyntax check = ResultCheckWriter.ThrowIfFailed(call, shape, resultType);
                    check = check
                        .WithCloseParenToken(check.CloseParenToken.WithTrailingTrivia(WithoutLineEnds(statement.GetTrailingTrivia())))
                        .WithLeadingTrivia(statement.GetLeadingTrivia())
                        .WithTrailingTrivia(LineEndOf(statement));
                    return root.ReplaceNode(statement, check.WithAdditionalAnnotations(Formatter.Annotation));
                }

                // RpcImpersonateClient(IntPtr.Zero);  =>  var status = RpcImpersonateClient(IntPtr.Zero); if (status != 0) { throw … }
                if (!StatementList.TryGet(statement, out StatementList list, out int index)
                    || LocalNames.Unused(StatusVariableName, statement, semantics.Model) is not { } name)
                {
                    return null;
                }

                LocalDeclarationStatementSyntax declaration = SyntaxFactory.LocalDeclarationStatement(
                    SyntaxFactory.VariableDeclaration(
                        SyntaxFactory.IdentifierName("var"),
                        SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(call)))))
                    .WithTriviaFrom(statement);
                StatementSyntax statusCheck = ResultCheckWriter.ThrowIfFailed(SyntaxFactory.IdentifierName(name), shape, resultType)
                    .WithTrailingTrivia(LineEndOf(statement))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(list.Owner, list.With(list.Statements.RemoveAt(index).InsertRange(index, new StatementSyntax[] { declaration, statusCheck })));
            }

            switch (parent)
            {
                // bool ok = ImpersonateLoggedOnUser(token); (never read)  =>  …; if (!ok) { throw … }
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax variable } when variable.Parent?.Parent is LocalDeclarationStatementSyntax declaration:
                    return InsertAfter(root, declaration, ResultCheckWriter.ThrowIfFailed(SyntaxFactory.IdentifierName(variable.Identifier.ValueText), shape, resultType)
                        .WithTrailingTrivia(LineEndOf(declaration)));

                // ok = ImpersonateLoggedOnUser(token); (overwritten before it is read)
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax local, Parent: ExpressionStatementSyntax assignment }
                    when semantics.Model.GetSymbolInfo(local, cancellationToken).Symbol is ILocalSymbol:
                    return InsertAfter(root, assignment, ResultCheckWriter.ThrowIfFailed(local.WithoutTrivia(), shape, resultType)
                        .WithTrailingTrivia(LineEndOf(assignment)));

                default:
                    return null; // an expression body or a lambda: no place for the check
            }
        }

        /// <summary>The line break that ends <paramref name="statement"/>, for a statement written after it (elastic trivia would let the formatter add a blank line).</summary>
        private static SyntaxTriviaList LineEndOf(StatementSyntax statement)
        {
            SyntaxTrivia lineEnd = statement.GetTrailingTrivia().LastOrDefault(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia));
            return lineEnd.IsKind(SyntaxKind.EndOfLineTrivia) ? SyntaxFactory.TriviaList(lineEnd) : SyntaxFactory.TriviaList(SyntaxFactory.ElasticCarriageReturnLineFeed);
        }

        private static SyntaxTriviaList WithoutLineEnds(SyntaxTriviaList trivia) =>
            SyntaxFactory.TriviaList(trivia.Where(t => !t.IsKind(SyntaxKind.EndOfLineTrivia)));

        private static SyntaxNode? InsertAfter(SyntaxNode root, StatementSyntax statement, StatementSyntax check)
        {
            if (!StatementList.TryGet(statement, out StatementList list, out int index))
            {
                return null;
            }

            return root.ReplaceNode(list.Owner, list.With(list.Statements.Insert(index + 1, check.WithAdditionalAnnotations(Formatter.Annotation))));
        }

        private static SyntaxNode? Rewrite(SyntaxNode root, InvocationExpressionSyntax impersonation, ResultShape shape, FailureCheck check, ITypeSymbol resultType, FixSemantics semantics, CancellationToken cancellationToken)
        {
            SyntaxNode parent = impersonation.Parent!;
            while (parent is ParenthesizedExpressionSyntax)
            {
                parent = parent.Parent!;
            }

            switch (parent)
            {
                // CoImpersonateClient();  =>  Marshal.ThrowExceptionForHR(CoImpersonateClient());
                case ExpressionStatementSyntax statement:
                    return ResultCheckWriter.ThrowExpression(impersonation.WithoutTrivia(), shape, check, resultType, semantics.Model, impersonation.SpanStart) is { } throwing
                        ? root.ReplaceNode(statement, statement.WithExpression(throwing.WithTriviaFrom(statement.Expression)))
                        : null;

                // _ = CoImpersonateClient();  =>  Marshal.ThrowExceptionForHR(CoImpersonateClient());
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax statement } discard
                    when semantics.Model.GetSymbolInfo(discard.Left, cancellationToken).Symbol is null or IDiscardSymbol:
                    return ResultCheckWriter.ThrowExpression(impersonation.WithoutTrivia(), shape, check, resultType, semantics.Model, impersonation.SpanStart) is { } checkDiscard
                        ? root.ReplaceNode(statement, statement.WithExpression(checkDiscard.WithTriviaFrom(statement.Expression)))
                        : null;

                // void M() => CoImpersonateClient();   () => CoImpersonateClient()
                case ArrowExpressionClauseSyntax or AnonymousFunctionExpressionSyntax:
                    return ResultCheckWriter.ThrowExpression(impersonation.WithoutTrivia(), shape, check, resultType, semantics.Model, impersonation.SpanStart) is { } checkBody
                        ? root.ReplaceNode(impersonation, checkBody.WithTriviaFrom(impersonation))
                        : null;

                // int hr = CoImpersonateClient(); (never read)  =>  …; Marshal.ThrowExceptionForHR(hr);
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax variable } when variable.Parent?.Parent is LocalDeclarationStatementSyntax declaration:
                    return CheckAfter(root, declaration, SyntaxFactory.IdentifierName(variable.Identifier.ValueText), shape, check, resultType, semantics.Model);

                // hr = CoImpersonateClient(); (overwritten before it is read)  =>  …; Marshal.ThrowExceptionForHR(hr);
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax local, Parent: ExpressionStatementSyntax statement }
                    when semantics.Model.GetSymbolInfo(local, cancellationToken).Symbol is ILocalSymbol:
                    return CheckAfter(root, statement, local.WithoutTrivia(), shape, check, resultType, semantics.Model);

                default:
                    return null;
            }
        }

        private static SyntaxNode? CheckAfter(SyntaxNode root, StatementSyntax statement, ExpressionSyntax result, ResultShape shape, FailureCheck check, ITypeSymbol resultType, SemanticModel model) =>
            ResultCheckWriter.ThrowExpression(result, shape, check, resultType, model, statement.Span.End) is { } throwing
                ? InsertAfter(root, statement, SyntaxFactory.ExpressionStatement(throwing))
                : null;
    }
}
