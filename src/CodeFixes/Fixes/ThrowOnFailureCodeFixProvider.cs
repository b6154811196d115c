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
    /// struct that has it); a result stored in a local that is never read is checked right after the store.
    /// Not offered for a throwing projection whose exception a <c>catch</c> swallows: whether to rethrow there is
    /// the author's decision.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ThrowOnFailureCodeFixProvider)), Shared]
    public sealed class ThrowOnFailureCodeFixProvider : ImpersonationCodeFixProvider
    {
        private const string MarshalTypeName = "global::System.Runtime.InteropServices.Marshal";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("COMIMP004");

        internal override string Title => "Throw on failure";

        internal override SyntaxNode? Fix(SyntaxNode root, FixSemantics semantics, SyntaxNode target, SyntaxNode? related, CancellationToken cancellationToken) =>
            target is InvocationExpressionSyntax impersonation
            && semantics.Model.GetTypeInfo(impersonation, cancellationToken).Type is { } resultType
                ? Rewrite(root, impersonation, resultType, semantics, cancellationToken)
                : null;

        private static SyntaxNode? Rewrite(SyntaxNode root, InvocationExpressionSyntax impersonation, ITypeSymbol resultType, FixSemantics semantics, CancellationToken cancellationToken)
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
                    return Check(impersonation.WithoutTrivia(), resultType, semantics.Model, impersonation.SpanStart) is { } check
                        ? root.ReplaceNode(statement, statement.WithExpression(check.WithTriviaFrom(statement.Expression)))
                        : null;

                // _ = CoImpersonateClient();  =>  Marshal.ThrowExceptionForHR(CoImpersonateClient());
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax statement } discard
                    when semantics.Model.GetSymbolInfo(discard.Left, cancellationToken).Symbol is null or IDiscardSymbol:
                    return Check(impersonation.WithoutTrivia(), resultType, semantics.Model, impersonation.SpanStart) is { } checkDiscard
                        ? root.ReplaceNode(statement, statement.WithExpression(checkDiscard.WithTriviaFrom(statement.Expression)))
                        : null;

                // void M() => CoImpersonateClient();   () => CoImpersonateClient()
                case ArrowExpressionClauseSyntax or AnonymousFunctionExpressionSyntax:
                    return Check(impersonation.WithoutTrivia(), resultType, semantics.Model, impersonation.SpanStart) is { } checkBody
                        ? root.ReplaceNode(impersonation, checkBody.WithTriviaFrom(impersonation))
                        : null;

                // int hr = CoImpersonateClient(); (never read)  =>  …; Marshal.ThrowExceptionForHR(hr);
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax variable } when variable.Parent?.Parent is LocalDeclarationStatementSyntax declaration:
                    return CheckAfter(root, declaration, SyntaxFactory.IdentifierName(variable.Identifier.ValueText), resultType, semantics.Model);

                // hr = CoImpersonateClient(); (overwritten before it is read)  =>  …; Marshal.ThrowExceptionForHR(hr);
                case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax local, Parent: ExpressionStatementSyntax statement }
                    when semantics.Model.GetSymbolInfo(local, cancellationToken).Symbol is ILocalSymbol:
                    return CheckAfter(root, statement, local.WithoutTrivia(), resultType, semantics.Model);

                default:
                    return null;
            }
        }

        private static SyntaxNode? CheckAfter(SyntaxNode root, StatementSyntax statement, ExpressionSyntax result, ITypeSymbol resultType, SemanticModel model)
        {
            if (!StatementList.TryGet(statement, out StatementList list, out int index)
                || Check(result, resultType, model, statement.Span.End) is not { } check)
            {
                return null;
            }

            StatementSyntax checkStatement = SyntaxFactory.ExpressionStatement(check).WithAdditionalAnnotations(Formatter.Annotation);
            return root.ReplaceNode(list.Owner, list.With(list.Statements.Insert(index + 1, checkStatement)));
        }

        /// <summary>The expression that throws when <paramref name="result"/> says failure, in the result type's own idiom.</summary>
        private static ExpressionSyntax? Check(ExpressionSyntax result, ITypeSymbol resultType, SemanticModel model, int position)
        {
            switch (ApiModel.ShapeOf(resultType))
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
