using System.Linq;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// The one place that writes a test or check of a result, from its row's <see cref="FailureCheck"/> and its
    /// declared shape (SPEC §4: the failure test a fix writes is the family's own): what "Throw on failure" makes of
    /// an impersonation's dropped result, and how a revert a fix writes acts on its own result. Everything written
    /// here reads, through <see cref="Analyzers.Analysis.ResultChecks"/>, as the failure test it is meant to be; the
    /// fixes that write it check that.
    /// </summary>
    internal static class ResultCheckWriter
    {
        /// <summary>
        /// <c>FACILITY_NT_BIT</c>: <c>HRESULT_FROM_NT(status)</c> is <c>status | 0x10000000</c>, an HRESULT that is
        /// negative exactly when the NTSTATUS is.
        /// </summary>
        public const int FacilityNtBit = 0x10000000;

        private const string MarshalTypeName = "global::System.Runtime.InteropServices.Marshal";
        private const string Win32ExceptionTypeName = "global::System.ComponentModel.Win32Exception";
        private const string EnvironmentTypeName = "global::System.Environment";

        /// <summary>The check of a call's result: its row's, or for a wrapper or a configured method the one its shape implies.</summary>
        public static FailureCheck CheckOf(ApiCall call) => call.Form?.Check ?? call.Shape switch
        {
            ResultShape.Int32 or ResultShape.UInt32 or ResultShape.HResultStruct => FailureCheck.HResult,
            ResultShape.Bool or ResultShape.Bool32 => FailureCheck.LastError,
            ResultShape.Status => FailureCheck.ErrorCode,
            _ => FailureCheck.None,
        };

        /// <summary>
        /// True when "Throw on failure" checks such a result with an <c>if</c> statement (a BOOL, an error code) rather
        /// than an expression (<c>Marshal.ThrowExceptionForHR</c>, a struct's <c>ThrowOnFailure()</c>).
        /// </summary>
        public static bool ThrowsWithStatement(ResultShape shape, FailureCheck check) =>
            shape is ResultShape.Bool or ResultShape.Bool32 || (shape == ResultShape.Status && check != FailureCheck.NtStatus);

        /// <summary>
        /// <c>if (!r) { throw new Win32Exception(); }</c> for a BOOL (the exception reads the last error),
        /// <c>if (r == 0) …</c> for a BOOL declared as an integer, <c>if (r != 0) { throw new Win32Exception(r); }</c>
        /// for an error code. Only for results that <see cref="ThrowsWithStatement"/>.
        /// </summary>
        public static IfStatementSyntax ThrowIfFailed(ExpressionSyntax result, ResultShape shape, ITypeSymbol resultType)
        {
            ExpressionSyntax condition = shape switch
            {
                ResultShape.Bool => Not(result),
                ResultShape.Bool32 => SyntaxFactory.BinaryExpression(SyntaxKind.EqualsExpression, result, Zero()),
                _ => SyntaxFactory.BinaryExpression(SyntaxKind.NotEqualsExpression, result, Zero()),
            };

            ArgumentListSyntax arguments = SyntaxFactory.ArgumentList();
            if (shape == ResultShape.Status)
            {
                ExpressionSyntax code = resultType.SpecialType == SpecialType.System_Int32 ? result : UncheckedInt(result);
                arguments = SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(code)));
            }

            ExpressionSyntax exceptionType = SyntaxFactory.ParseTypeName(Win32ExceptionTypeName)
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            return SyntaxFactory.IfStatement(
                condition,
                SyntaxFactory.Block(SyntaxFactory.ThrowStatement(SyntaxFactory.ObjectCreationExpression((TypeSyntax)exceptionType, arguments, initializer: null))));
        }

        /// <summary>
        /// The expression that throws when <paramref name="result"/> says failure, in the result's own idiom:
        /// <c>Marshal.ThrowExceptionForHR(hr)</c> for an HRESULT (<c>unchecked((int)hr)</c> for a <c>uint</c>), the
        /// struct's <c>ThrowOnFailure()</c> / <c>ThrowIfFailed()</c> (or <c>ThrowExceptionForHR((int)hr)</c> where it has
        /// none), <c>Marshal.ThrowExceptionForHR(status | 0x10000000)</c> for an NTSTATUS. Null where there is none.
        /// </summary>
        public static ExpressionSyntax? ThrowExpression(ExpressionSyntax result, ResultShape shape, FailureCheck check, ITypeSymbol resultType, SemanticModel model, int position)
        {
            if (shape == ResultShape.HResultStruct)
            {
                if (ThrowHelperOf(resultType, model, position) is { } helper)
                {
                    return SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Parenthesize(result), SyntaxFactory.IdentifierName(helper)));
                }

                // An HRESULT struct without a throw helper that converts to int (TerraFX, Silk.NET).
                return ConvertsToInt(result, model, position) ? ThrowExceptionForHR(IntCast(result)) : null;
            }

            if (check == FailureCheck.NtStatus)
            {
                // HRESULT_FROM_NT(status): Win32Exception would take an NTSTATUS for a Win32 error code.
                ExpressionSyntax facility = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal("0x10000000", FacilityNtBit))
                    .WithTrailingTrivia(SyntaxFactory.Space, SyntaxFactory.Comment("/* HRESULT_FROM_NT */"));
                return shape switch
                {
                    ResultShape.Int32 => ThrowExceptionForHR(SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, result, facility)),
                    ResultShape.UInt32 => ThrowExceptionForHR(UncheckedInt(SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, result, facility))),
                    ResultShape.Status => ThrowExceptionForHR(SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, UncheckedInt(result), facility)),
                    _ => null,
                };
            }

            return shape switch
            {
                ResultShape.Int32 => ThrowExceptionForHR(result),
                ResultShape.UInt32 => ThrowExceptionForHR(UncheckedInt(result)),
                _ => null,
            };
        }

        /// <summary>
        /// A condition that is true when <paramref name="result"/> says failure, read as the analysis reads it:
        /// <c>!ok</c> and <c>ok == 0</c> for a BOOL, <c>status != 0</c> for an error code, <c>hr &lt; 0</c> for an HRESULT
        /// or NTSTATUS (<c>unchecked((int)hr) &lt; 0</c> for another integer), <c>hr.Failed</c> for a struct that has
        /// it. Null where there is none (an unknown struct).
        /// </summary>
        public static ExpressionSyntax? FailureCondition(ExpressionSyntax result, ResultShape shape, FailureCheck check, ITypeSymbol resultType, SemanticModel model, int position)
        {
            switch (shape)
            {
                case ResultShape.Bool:
                    return Not(result);
                case ResultShape.Bool32:
                    return SyntaxFactory.BinaryExpression(SyntaxKind.EqualsExpression, result, Zero());
                case ResultShape.Int32:
                    return Negative(result);
                case ResultShape.UInt32:
                    return Negative(UncheckedInt(result));
                case ResultShape.Status:
                    return check == FailureCheck.NtStatus
                        ? Negative(resultType.SpecialType == SpecialType.System_Int32 ? result : UncheckedInt(result))
                        : SyntaxFactory.BinaryExpression(SyntaxKind.NotEqualsExpression, result, Zero());
                case ResultShape.HResultStruct:
                    if (HasFailedMember(resultType, model, position))
                    {
                        return SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Parenthesize(result), SyntaxFactory.IdentifierName("Failed"));
                    }

                    return ConvertsToInt(result, model, position) ? Negative(IntCast(result)) : null;
                default:
                    return null;
            }
        }

        /// <summary>
        /// <c>if (failed) { Environment.FailFast("… failed: the thread would go on running as the client."); }</c>: what a
        /// fix writes around a revert that reports failure. A revert that fails leaves the thread running as the
        /// client, and the documentation's answer is to end the process (advapi32's RevertToSelf: "You should shut
        /// down the process if RevertToSelf fails"); throwing would let callers catch the exception and carry on under
        /// the client's identity. Null where <see cref="FailureCondition"/> has no test for the result.
        /// </summary>
        public static IfStatementSyntax? FailFastIfFailed(ExpressionSyntax revert, string revertName, ResultShape shape, FailureCheck check, ITypeSymbol resultType, SemanticModel model, int position)
        {
            if (FailureCondition(revert, shape, check, resultType, model, position) is not { } failed)
            {
                return null;
            }

            ExpressionSyntax environment = SyntaxFactory.ParseExpression(EnvironmentTypeName)
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            string message = revertName + " failed: the thread would go on running as the client.";
            InvocationExpressionSyntax failFast = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, environment, SyntaxFactory.IdentifierName("FailFast")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(
                    SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(message))))));
            return SyntaxFactory.IfStatement(failed, SyntaxFactory.Block(SyntaxFactory.ExpressionStatement(failFast)));
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

        /// <summary>An accessible instance <c>Failed</c> property or field of type bool (CsWin32's, Vanara's HRESULT and Win32Error).</summary>
        private static bool HasFailedMember(ITypeSymbol type, SemanticModel model, int position) =>
            type.GetMembers("Failed").Any(member =>
                !member.IsStatic
                && model.IsAccessible(position, member)
                && member switch
                {
                    IPropertySymbol property => property.Type.SpecialType == SpecialType.System_Boolean && !property.IsIndexer,
                    IFieldSymbol field => field.Type.SpecialType == SpecialType.System_Boolean,
                    _ => false,
                });

        private static bool ConvertsToInt(ExpressionSyntax result, SemanticModel model, int position)
        {
            Conversion toInt = model.ClassifyConversion(position, result, model.Compilation.GetSpecialType(SpecialType.System_Int32), isExplicitInSource: true);
            return toInt.Exists && toInt.IsUserDefined;
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

        private static ExpressionSyntax Zero() => SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0));

        private static ExpressionSyntax Negative(ExpressionSyntax value) => SyntaxFactory.BinaryExpression(SyntaxKind.LessThanExpression, value, Zero());

        private static ExpressionSyntax Not(ExpressionSyntax value) => SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, Parenthesize(value));

        private static ExpressionSyntax IntCast(ExpressionSyntax value) =>
            SyntaxFactory.CastExpression(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)), Parenthesize(value));

        /// <summary><c>unchecked((int)value)</c>: the bits as an <c>int</c>, also in a project that checks overflow.</summary>
        private static ExpressionSyntax UncheckedInt(ExpressionSyntax value) =>
            SyntaxFactory.CheckedExpression(SyntaxKind.UncheckedExpression, IntCast(value));

        public static ExpressionSyntax Parenthesize(ExpressionSyntax expression) =>
            expression is IdentifierNameSyntax or InvocationExpressionSyntax or MemberAccessExpressionSyntax or ParenthesizedExpressionSyntax
                ? expression
                : SyntaxFactory.ParenthesizedExpression(expression);
    }
}
