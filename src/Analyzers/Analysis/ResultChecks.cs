using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// Recognises the ways code tests an HRESULT for failure (SPEC §2 "Results"): comparisons with zero or
    /// <c>S_OK</c>, <c>.Failed</c> / <c>.Succeeded</c>, <c>FAILED(...)</c> / <c>SUCCEEDED(...)</c>, patterns, and
    /// negations of these. The tested value is returned unwrapped so the caller can tell whose result it is.
    /// </summary>
    internal static class ResultChecks
    {
        /// <summary>
        /// True when <paramref name="condition"/> tests an HRESULT: <paramref name="tested"/> is the HRESULT
        /// operand, <paramref name="failureWhenTrue"/> whether the condition being true means failure.
        /// </summary>
        public static bool TryGetFailureTest(IOperation condition, out IOperation tested, out bool failureWhenTrue) =>
            TryGetFailureTest(condition, out tested, out failureWhenTrue, out _);

        /// <summary>As above; <paramref name="kind"/> says whether it compares with zero, whose meaning depends on the result's shape.</summary>
        public static bool TryGetFailureTest(IOperation condition, out IOperation tested, out bool failureWhenTrue, out ResultTestKind kind)
        {
            kind = ResultTestKind.Other;
            condition = Unwrap(condition);
            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not
                    when TryGetFailureTest(not.Operand, out tested, out bool inner, out kind):
                    failureWhenTrue = !inner;
                    return true;

                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } nullTest
                    when IsNullConstant(Unwrap(nullTest.RightOperand)) || IsNullConstant(Unwrap(nullTest.LeftOperand)):
                    // int? hr = security?.ImpersonateClient(); if (hr == null) …: no call ran on the null branch.
                    tested = IsNullConstant(Unwrap(nullTest.RightOperand)) ? Unwrap(nullTest.LeftOperand) : Unwrap(nullTest.RightOperand);
                    failureWhenTrue = nullTest.OperatorKind == BinaryOperatorKind.Equals;
                    kind = ResultTestKind.Null;
                    return true;

                case IBinaryOperation binary:
                    return TryGetComparison(binary, out tested, out failureWhenTrue, out kind);

                case IPropertyReferenceOperation { Instance: { } instance, Property.Name: "HasValue" } hasValue
                    when IsNullable(instance.Type):
                    tested = Unwrap(instance);
                    failureWhenTrue = false;
                    return true;

                case IInvocationOperation { Arguments.Length: 1 } call
                    when call.TargetMethod.Name is "FAILED" or "SUCCEEDED":
                    tested = Unwrap(call.Arguments[0].Value);
                    failureWhenTrue = call.TargetMethod.Name == "FAILED";
                    return true;

                case IPropertyReferenceOperation { Instance: { } instance } property
                    when property.Property.Name is "Failed" or "Succeeded":
                    tested = StripValueField(Unwrap(instance));
                    failureWhenTrue = property.Property.Name == "Failed";
                    return true;

                case IFieldReferenceOperation { Instance: { } instance } field
                    when field.Field.Name is "Failed" or "Succeeded":
                    tested = StripValueField(Unwrap(instance));
                    failureWhenTrue = field.Field.Name == "Failed";
                    return true;

                case IIsNullOperation isNull:
                    // `using` tests its resource for null before Dispose: a scope created by `new` is never null,
                    // so the null branch is one on which its impersonation cannot be active.
                    tested = Unwrap(isNull.Operand);
                    failureWhenTrue = true;
                    kind = ResultTestKind.Null;
                    return true;

                case IIsPatternOperation isPattern when TryGetPatternTest(isPattern.Pattern, out failureWhenTrue, out kind):
                    tested = StripValueField(Unwrap(isPattern.Value));
                    return true;

                case ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IInvocationOperation or IFlowCaptureReferenceOperation
                    when condition.Type?.SpecialType == SpecialType.System_Boolean || IsWin32Bool(condition.Type):
                    // A bool that says success: a Win32 BOOL (bool, or CsWin32's BOOL struct converted to bool), a
                    // wrapper's `bool TryImpersonate()`, or an `impersonated` flag.
                    tested = condition;
                    failureWhenTrue = false;
                    return true;
            }

            tested = null!;
            failureWhenTrue = false;
            return false;
        }

        /// <summary>
        /// The one reading of a failure test for a result of a known shape, shared by the analysis and the fixes
        /// (SPEC §2 "Results", §4): as <see cref="TryGetFailureTest(IOperation, out IOperation, out bool)"/>, but a
        /// comparison with zero is read in the result's own convention. For a BOOL declared as <c>int</c>
        /// (<see cref="ResultShape.Bool32"/>) zero is failure, so <c>r == 0</c> is its failure test, <c>r != 0</c>
        /// its success test, and <c>r &lt; 0</c> / <c>r &gt;= 0</c> say nothing (false is returned).
        /// </summary>
        public static bool TryGetFailureTest(IOperation condition, ResultShape shape, out IOperation tested, out bool failureWhenTrue)
        {
            if (!TryGetFailureTest(condition, out tested, out bool hresultSense, out ResultTestKind kind)
                || FailureSense(kind, hresultSense, zeroMeansFailure: shape == ResultShape.Bool32) is not bool sense)
            {
                tested = null!;
                failureWhenTrue = false;
                return false;
            }

            failureWhenTrue = sense;
            return true;
        }

        /// <summary>
        /// Whether a test read by <see cref="TryGetFailureTest(IOperation, out IOperation, out bool, out ResultTestKind)"/>
        /// (<paramref name="hresultSense"/>: its sense for an HRESULT) is true on failure for a result where
        /// <paramref name="zeroMeansFailure"/>; null when it says nothing about such a result (<c>r &lt; 0</c> of a BOOL).
        /// </summary>
        public static bool? FailureSense(ResultTestKind kind, bool hresultSense, bool zeroMeansFailure) => kind switch
        {
            ResultTestKind.ZeroEquality when zeroMeansFailure => !hresultSense,
            ResultTestKind.ZeroOrder when zeroMeansFailure => null,
            _ => hresultSense,
        };

        /// <summary>Removes conversions and parentheses, which do not change what a value says about success.</summary>
        public static IOperation Unwrap(IOperation operation) => OperationValues.WithoutConversions(operation);

        private static bool TryGetComparison(IBinaryOperation binary, out IOperation tested, out bool failureWhenTrue, out ResultTestKind kind)
        {
            tested = null!;
            failureWhenTrue = false;
            kind = ResultTestKind.Other;
            BinaryOperatorKind operatorKind = binary.OperatorKind;
            IOperation left = Unwrap(binary.LeftOperand);
            IOperation right = Unwrap(binary.RightOperand);

            // ok == false, ok != true, false == ok: a BOOL compared with a bool constant.
            if (operatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
                && (BoolConstant(right) ?? BoolConstant(left)) is bool constant)
            {
                tested = BoolConstant(right) is null ? right : left;
                failureWhenTrue = (operatorKind == BinaryOperatorKind.Equals) != constant;
                return true;
            }

            if (IsSuccessConstant(right))
            {
                tested = StripValueField(left);
            }
            else if (IsSuccessConstant(left))
            {
                tested = StripValueField(right);
                operatorKind = Mirror(operatorKind);
            }
            else
            {
                return false;
            }

            switch (operatorKind)
            {
                case BinaryOperatorKind.LessThan:           // hr < 0
                    failureWhenTrue = true;
                    kind = ResultTestKind.ZeroOrder;
                    return true;
                case BinaryOperatorKind.NotEquals:          // hr != 0, hr != S_OK, status != RPC_S_OK
                    failureWhenTrue = true;
                    kind = ResultTestKind.ZeroEquality;
                    return true;
                case BinaryOperatorKind.GreaterThanOrEqual: // hr >= 0
                    failureWhenTrue = false;
                    kind = ResultTestKind.ZeroOrder;
                    return true;
                case BinaryOperatorKind.Equals:             // hr == 0, hr == S_OK
                    failureWhenTrue = false;
                    kind = ResultTestKind.ZeroEquality;
                    return true;
                default:
                    tested = null!;
                    return false;
            }
        }

        private static bool? BoolConstant(IOperation operation) =>
            operation.ConstantValue is { HasValue: true, Value: bool value } ? value : null;

        /// <summary>CsWin32's <c>BOOL</c> struct (a Win32 BOOL that converts to bool).</summary>
        private static bool IsWin32Bool(ITypeSymbol? type) => type is { TypeKind: TypeKind.Struct, Name: "BOOL" };

        private static bool TryGetPatternTest(IPatternOperation pattern, out bool failureWhenTrue, out ResultTestKind kind)
        {
            kind = ResultTestKind.Other;
            switch (pattern)
            {
                case INegatedPatternOperation negated when TryGetPatternTest(negated.Pattern, out bool inner, out kind):
                    failureWhenTrue = !inner;
                    return true;
                case IRelationalPatternOperation relational when IsSuccessConstant(Unwrap(relational.Value)):
                    failureWhenTrue = relational.OperatorKind == BinaryOperatorKind.LessThan;
                    kind = ResultTestKind.ZeroOrder;
                    return relational.OperatorKind is BinaryOperatorKind.LessThan or BinaryOperatorKind.GreaterThanOrEqual;
                case IConstantPatternOperation constant when BoolConstant(Unwrap(constant.Value)) is bool value:
                    failureWhenTrue = !value; // ok is false
                    return true;
                case IConstantPatternOperation constant when IsSuccessConstant(Unwrap(constant.Value)):
                    failureWhenTrue = false; // hr is 0
                    kind = ResultTestKind.ZeroEquality;
                    return true;
                case IConstantPatternOperation constant when IsNullConstant(Unwrap(constant.Value)):
                    failureWhenTrue = true; // hr is null: the call did not run
                    kind = ResultTestKind.Null;
                    return true;
            }

            failureWhenTrue = false;
            return false;
        }

        private static BinaryOperatorKind Mirror(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
            BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
            BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
            BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
            _ => kind,
        };

        /// <summary>Zero or <c>S_OK</c> (a constant, or the static field HRESULT structs expose).</summary>
        private static bool IsSuccessConstant(IOperation operation)
        {
            if (operation.ConstantValue.HasValue)
            {
                return operation.ConstantValue.Value switch
                {
                    int i => i == 0,
                    uint u => u == 0,
                    long l => l == 0,
                    _ => false,
                };
            }

            return operation is IFieldReferenceOperation { Field: { IsStatic: true, Name: "S_OK" } }
                || operation is IPropertyReferenceOperation { Property: { IsStatic: true, Name: "S_OK" } };
        }

        private static bool IsNullConstant(IOperation operation) =>
            operation.ConstantValue is { HasValue: true, Value: null };

        private static bool IsNullable(ITypeSymbol? type) =>
            type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };

        /// <summary><c>hr.Value</c> of an HRESULT struct (or of an <c>int?</c>) says what <c>hr</c> says.</summary>
        private static IOperation StripValueField(IOperation operation)
        {
            if (operation is IPropertyReferenceOperation { Property.Name: "Value", Instance: { } nullable } && IsNullable(nullable.Type))
            {
                return Unwrap(nullable);
            }

            if (operation is IFieldReferenceOperation { Field.Name: "Value", Instance: { } instance }
                && instance.Type is { Name: "HRESULT", TypeKind: TypeKind.Struct })
            {
                return Unwrap(instance);
            }

            return operation;
        }
    }
}
