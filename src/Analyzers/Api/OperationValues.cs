using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>Small questions about operations that recognition, the body model and the result checks all ask.</summary>
    internal static class OperationValues
    {
        /// <summary>Removes conversions and parentheses, which change neither what a value is nor what it says.</summary>
        public static IOperation WithoutConversions(IOperation operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion:
                        operation = conversion.Operand;
                        continue;
                    case IParenthesizedOperation parenthesized:
                        operation = parenthesized.Operand;
                        continue;
                    default:
                        return operation;
                }
            }
        }

        /// <summary>
        /// The method an interface call really runs when its receiver's class or struct is known (the
        /// <c>Dispose</c> a <c>using</c> makes on its resource); otherwise <paramref name="target"/> itself.
        /// </summary>
        public static IMethodSymbol ImplementationOnReceiver(IMethodSymbol target, IOperation? instance) =>
            target.ContainingType is { TypeKind: TypeKind.Interface }
            && instance is not null
            && WithoutConversions(instance).Type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } receiverType
            && receiverType.FindImplementationForInterfaceMember(target) is IMethodSymbol implementation
                ? implementation
                : target;

        /// <summary><paramref name="value"/> with the conversions and parentheses around it, as its user sees it.</summary>
        public static IOperation WithEnclosingConversions(IOperation value)
        {
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            return value;
        }

        /// <summary>The value is thrown away: an expression statement, or assigned to <c>_</c>.</summary>
        public static bool IsDiscarded(IOperation value)
        {
            value = WithEnclosingConversions(value);
            return value.Parent is IExpressionStatementOperation
                || (value.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation } discard && discard.Value == value);
        }
    }
}
