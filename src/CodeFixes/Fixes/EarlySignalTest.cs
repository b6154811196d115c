using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.CodeFixes.Fixes
{
    /// <summary>
    /// An early signal for some requests: <c>if (request.Length &lt; 64) { sync.Signal(); }</c> before the
    /// impersonation. "Move impersonation before Signal" may move the whole <c>if</c> past the impersonated region
    /// only when evaluating its condition later gives the same answer and does nothing else: the condition reads
    /// only constants, locals and by-value parameters that no code between writes or captures, readonly fields, and
    /// the length of an array or string, combined by built-in operators. Anything else (a call, a property getter, a
    /// mutable field another call could change, a user-defined operator) gets no fix.
    /// </summary>
    internal static class EarlySignalTest
    {
        /// <summary>The <c>if</c> (no <c>else</c>) whose only statement is <paramref name="signalCall"/>, when its condition qualifies; else null.</summary>
        public static IfStatementSyntax? Enclosing(StatementSyntax signalCall, SemanticModel model, CancellationToken cancellationToken)
        {
            SyntaxNode? parent = signalCall.Parent;
            if (parent is BlockSyntax { Statements.Count: 1 } block)
            {
                parent = block.Parent;
                if (parent is IfStatementSyntax { Statement: var body } && body != block)
                {
                    return null;
                }
            }

            return parent is IfStatementSyntax { Else: null } test
                && model.GetOperation(test.Condition, cancellationToken) is { } condition
                && ReadsOnlyStableValues(condition)
                ? test
                : null;
        }

        /// <summary>
        /// True when a value the condition reads could differ after the statements the <c>if</c> moves past: a local
        /// or parameter that a lambda or local function of the member captures (a call between could write it).
        /// Direct writes between are caught by the move's own check of what the moved statement reads.
        /// </summary>
        public static bool MayChangeBetween(StatementSyntax moved, SemanticModel model, CancellationToken cancellationToken)
        {
            var read = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            if (moved is IfStatementSyntax test && model.GetOperation(test.Condition, cancellationToken) is { } condition)
            {
                foreach (IOperation operation in condition.DescendantsAndSelf())
                {
                    switch (operation)
                    {
                        case ILocalReferenceOperation local:
                            read.Add(local.Local);
                            break;
                        case IParameterReferenceOperation parameter:
                            read.Add(parameter.Parameter);
                            break;
                    }
                }
            }

            if (read.Count == 0)
            {
                return false;
            }

            SyntaxNode? member = moved.FirstAncestorOrSelf<MemberDeclarationSyntax>();
            if (member is null)
            {
                return true;
            }

            foreach (SyntaxNode function in member.DescendantNodes().Where(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            {
                foreach (IdentifierNameSyntax name in function.DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    if (model.GetSymbolInfo(name, cancellationToken).Symbol is { } symbol && read.Contains(symbol))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool ReadsOnlyStableValues(IOperation condition)
        {
            foreach (IOperation operation in condition.DescendantsAndSelf())
            {
                bool stable = operation switch
                {
                    _ when operation.ConstantValue.HasValue => true,
                    ILiteralOperation => true,
                    ILocalReferenceOperation { Local.RefKind: RefKind.None } => true,
                    IParameterReferenceOperation { Parameter.RefKind: RefKind.None } => true,
                    IInstanceReferenceOperation => true,
                    IFieldReferenceOperation { Field: var field } => field.IsReadOnly || field.IsConst,
                    IPropertyReferenceOperation { Property.Name: "Length", Instance.Type: { } type } =>
                        type.TypeKind == TypeKind.Array || type.SpecialType == SpecialType.System_String,
                    IBinaryOperation { OperatorMethod: null } => true,
                    IUnaryOperation { OperatorMethod: null } => true,
                    IConversionOperation { OperatorMethod: null } => true,
                    IIsTypeOperation => true,
                    _ => false,
                };

                if (!stable)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
