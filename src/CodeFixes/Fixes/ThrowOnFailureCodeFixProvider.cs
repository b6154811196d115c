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
using Microsoft.CodeAnalysis.Simplification;

namespace ComImpersonation.CodeFixes.Fixes
{
    /// <summary>
    /// COMIMP004, "Throw on failure": a discarded result becomes <c>Marshal.ThrowExceptionForHR(…)</c> (an
    /// <c>int</c> or <c>uint</c> HRESULT) or <c>….ThrowOnFailure()</c> / <c>….ThrowIfFailed()</c> (an HRESULT
    /// struct that has it); a Win32 BOOL becomes <c>if (!…) throw new Win32Exception();</c> (the last error), an
    /// RPC_STATUS <c>var status = …; if (status != 0) throw new Win32Exception(status);</c>. A result stored in a
    /// local that is never read is checked right after the store. Not offered for a throwing projection whose
    /// exception a <c>catch</c> swallows: whether to rethrow there is the author's decision.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ThrowOnFailureCodeFixProvider)), Shared]
    public sealed class ThrowOnFailureCodeFixProvider : ImpersonationCodeFixProvider
    {
        private const string MarshalTypeName = "global::System.Runtime.InteropServices.Marshal";
        private const string Win32ExceptionTypeName = "global::System.ComponentModel.Win32Exception";
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

            ResultShape shape = semantics.ResultShapeOf(impersonation, cancellationToken);
            return shape is ResultShape.Bool or ResultShape.Bool32 or ResultShape.Status
                ? RewriteWithStatements(root, impersonation, shape, resultType, semantics, cancellationToken)
                : Rewrite(root, impersonation, shape, resultType, semantics, cancellationToken);
        }

        /// <summary>Win32 BOOL and RPC_STATUS results are checked by an <c>if</c> statement: only where a statement can go.</summary>
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
                    IfStatementSyntax check = ThrowIfFailed(call, shape, resultType, semantics.Model, impersonation.SpanStart);
                    check = check
                        .WithCloseParenToken(check.CloseParenToken.WithTrailingTrivia(WithoutLineEnds(statement.GetTrailingTrivia())))
                        .WithLeadingTrivia(statement.GetLeadingTrivia())
                        .WithTrailingTrivia(LineEndOf(statement));
                    return root.ReplaceNode(statement, check.WithAdditionalAnnotations(Formatter.Annotation));
                }

                // RpcImpersonateClient(IntPtr.Zero);  =>  var status = RpcImpersonateClient(IntPtr.Zero); if (status != 0) { throw … }
                if (!StatementList.TryGet(statement, out StatementList list, out int index)
                    || UnusedName(StatusVariableName, statement, semantics.Model) is not { } name)
                {
                    return null;
                }

                LocalDeclarationStatementSyntax declaration = SyntaxFactory.LocalDeclarationStatement(
                    SyntaxFactory.VariableDeclaration(
                        SyntaxFactory.IdentifierName("var"),
                        SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(call)))))
                    .WithTriviaFrom(statement);
                StatementSyntax statusCheck = ThrowIfFailed(SyntaxFactory.IdentifierName(name), shape, resultType, semantics.Model, impersonation.SpanStart)
                    .WithTrailingTrivia(LineEndOf(statement))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(list.Owner, list.With(list.Statements.RemoveAt(index).InsertRange(index, new StatementSyntax[] { declaration, statusCheck })));
            }

            switch (parent)
            {
                // bool ok = ImpersonateLoggedOnUser(token); (never read)  =>  …; if (!ok) { throw … }
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax variable } when variable.Parent?.Parent is LocalDeclarationStatementSyntax declaration:
                    return InsertAfter(root, declaration, ThrowIfFailed(SyntaxFactory.IdentifierName(variable.Identifier.ValueText), shape, resultType, semantics.Model, declaration.Span.End)
                        .WithTrailingTrivia(LineEndOf(declaration)));

                // ok = ImpersonateLoggedOnUser(token); (overwritten before it is read)
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax local, Parent: ExpressionStatementSyntax assignment }
                    when semantics.Model.GetSymbolInfo(local, cancellationToken).Symbol is ILocalSymbol:
                    return InsertAfter(root, assignment, ThrowIfFailed(local.WithoutTrivia(), shape, resultType, semantics.Model, assignment.Span.End)
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

        /// <summary>
        /// <c>if (!r) { throw new Win32Exception(); }</c> for a BOOL (the exception reads the last error),
        /// <c>if (r == 0) …</c> for a BOOL declared as int, <c>if (r != 0) { throw new Win32Exception(r); }</c> for a status.
        /// </summary>
        private static IfStatementSyntax ThrowIfFailed(ExpressionSyntax result, ResultShape shape, ITypeSymbol resultType, SemanticModel model, int position)
        {
            ExpressionSyntax zero = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0));
            ExpressionSyntax condition = shape switch
            {
                ResultShape.Bool => SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, Parenthesize(result)),
                ResultShape.Bool32 => SyntaxFactory.BinaryExpression(SyntaxKind.EqualsExpression, result, zero),
                _ => SyntaxFactory.BinaryExpression(SyntaxKind.NotEqualsExpression, result, zero),
            };

            ArgumentListSyntax arguments = SyntaxFactory.ArgumentList();
            if (shape == ResultShape.Status)
            {
                ExpressionSyntax code = resultType.SpecialType == SpecialType.System_Int32
                    ? result
                    : SyntaxFactory.CheckedExpression(
                        SyntaxKind.UncheckedExpression,
                        SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), Parenthesize(result)));
                arguments = SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(code)));
            }

            ExpressionSyntax exceptionType = SyntaxFactory.ParseTypeName(Win32ExceptionTypeName)
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            return SyntaxFactory.IfStatement(
                condition,
                SyntaxFactory.Block(SyntaxFactory.ThrowStatement(SyntaxFactory.ObjectCreationExpression((TypeSyntax)exceptionType, arguments, initializer: null))));
        }

        /// <summary><paramref name="preferred"/>, or it numbered, whichever no symbol in scope and no declaration in the member uses.</summary>
        private static string? UnusedName(string preferred, SyntaxNode at, SemanticModel model)
        {
            SyntaxNode scope = at.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? at.SyntaxTree.GetRoot();
            var used = new System.Collections.Generic.HashSet<string>(
                scope.DescendantTokens().Where(token => token.IsKind(SyntaxKind.IdentifierToken)).Select(token => token.ValueText));
            for (int suffix = 1; suffix < 100; suffix++)
            {
                string name = suffix == 1 ? preferred : preferred + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!used.Contains(name) && model.LookupSymbols(at.SpanStart, name: name).IsEmpty)
                {
                    return name;
                }
            }

            return null;
        }

        private static SyntaxNode? Rewrite(SyntaxNode root, InvocationExpressionSyntax impersonation, ResultShape shape, ITypeSymbol resultType, FixSemantics semantics, CancellationToken cancellationToken)
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
                    return Check(impersonation.WithoutTrivia(), shape, resultType, semantics.Model, impersonation.SpanStart) is { } check
                        ? root.ReplaceNode(statement, statement.WithExpression(check.WithTriviaFrom(statement.Expression)))
                        : null;

                // _ = CoImpersonateClient();  =>  Marshal.ThrowExceptionForHR(CoImpersonateClient());
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax statement } discard
                    when semantics.Model.GetSymbolInfo(discard.Left, cancellationToken).Symbol is null or IDiscardSymbol:
                    return Check(impersonation.WithoutTrivia(), shape, resultType, semantics.Model, impersonation.SpanStart) is { } checkDiscard
                        ? root.ReplaceNode(statement, statement.WithExpression(checkDiscard.WithTriviaFrom(statement.Expression)))
                        : null;

                // void M() => CoImpersonateClient();   () => CoImpersonateClient()
                case ArrowExpressionClauseSyntax or AnonymousFunctionExpressionSyntax:
                    return Check(impersonation.WithoutTrivia(), shape, resultType, semantics.Model, impersonation.SpanStart) is { } checkBody
                        ? root.ReplaceNode(impersonation, checkBody.WithTriviaFrom(impersonation))
                        : null;

                // int hr = CoImpersonateClient(); (never read)  =>  …; Marshal.ThrowExceptionForHR(hr);
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax variable } when variable.Parent?.Parent is LocalDeclarationStatementSyntax declaration:
                    return CheckAfter(root, declaration, SyntaxFactory.IdentifierName(variable.Identifier.ValueText), shape, resultType, semantics.Model);

                // hr = CoImpersonateClient(); (overwritten before it is read)  =>  …; Marshal.ThrowExceptionForHR(hr);
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax local, Parent: ExpressionStatementSyntax statement }
                    when semantics.Model.GetSymbolInfo(local, cancellationToken).Symbol is ILocalSymbol:
                    return CheckAfter(root, statement, local.WithoutTrivia(), shape, resultType, semantics.Model);

                default:
                    return null;
            }
        }

        private static SyntaxNode? CheckAfter(SyntaxNode root, StatementSyntax statement, ExpressionSyntax result, ResultShape shape, ITypeSymbol resultType, SemanticModel model) =>
            Check(result, shape, resultType, model, statement.Span.End) is { } check
                ? InsertAfter(root, statement, SyntaxFactory.ExpressionStatement(check))
                : null;

        /// <summary>The expression that throws when <paramref name="result"/> says failure, in the result type's own idiom.</summary>
        private static ExpressionSyntax? Check(ExpressionSyntax result, ResultShape shape, ITypeSymbol resultType, SemanticModel model, int position)
        {
            switch (shape)
            {
                case ResultShape.Int32:
                    return ThrowExceptionForHR(result);

                case ResultShape.UInt32:
                    return ThrowExceptionForHR(SyntaxFactory.CheckedExpression(
                        SyntaxKind.UncheckedExpression,
                        SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), Parenthesize(result))));

                case ResultShape.HResultStruct:
                    if (ThrowHelperOf(resultType, model, position) is { } helper)
                    {
                        return SyntaxFactory.InvocationExpression(
                            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Parenthesize(result), SyntaxFactory.IdentifierName(helper)));
                    }

                    // An HRESULT struct without a throw helper that converts to int (TerraFX, Silk.NET).
                    Conversion toInt = model.ClassifyConversion(position, result, model.Compilation.GetSpecialType(SpecialType.System_Int32), isExplicitInSource: true);
                    return toInt.Exists && toInt.IsUserDefined
                        ? ThrowExceptionForHR(SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), Parenthesize(result)))
                        : null;

                default:
                    return null;
            }
        }

        /// <summary><c>ThrowOnFailure</c> (CsWin32) or <c>ThrowIfFailed</c> (Vanara): an accessible instance method that needs no arguments.</summary>
        private static string? ThrowHelperOf(ITypeSymbol type, SemanticModel model, int position)
        {
            foreach (string name in ApiTable.HResultThrowMethods)
            {
                foreach (IMethodSymbol method in type.GetMembers(name).OfType<IMethodSymbol>())
                {
                    if (!method.IsStatic
                        && method.Parameters.All(parameter => parameter.IsOptional || parameter.IsParams)
                        && model.IsAccessible(position, method))
                    {
                        return name;
                    }
                }
            }

            return null;
        }

        private static InvocationExpressionSyntax ThrowExceptionForHR(ExpressionSyntax hresult)
        {
            // Written fully qualified; the clean-up adds `using System.Runtime.InteropServices;` and shortens it.
            ExpressionSyntax marshal = SyntaxFactory.ParseExpression(MarshalTypeName)
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            return SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, marshal, SyntaxFactory.IdentifierName(ApiTable.MarshalThrowMethod)),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(hresult))));
        }

        private static ExpressionSyntax Parenthesize(ExpressionSyntax expression) =>
            expression is IdentifierNameSyntax or InvocationExpressionSyntax or MemberAccessExpressionSyntax or ParenthesizedExpressionSyntax
                ? expression
                : SyntaxFactory.ParenthesizedExpression(expression);
    }
}
