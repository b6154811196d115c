using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// Writes the end of an impersonation the way its row says (<see cref="ImpersonationEnd"/>), in the user's own
    /// interop flavour, as statements that go where the end is needed: <c>CoRevertToSelf()</c> after
    /// <c>CoImpersonateClient()</c>, <c>security.RevertToSelf()</c> on the same receiver, <c>RevertSecurityContext(ref
    /// context)</c> on the same handle, <c>IntPtr noToken = IntPtr.Zero;</c> and <c>NtSetInformationThread(thread, 5,
    /// ref noToken, size)</c>, <c>context.Undo()</c>. A revert that reports failure acts on it
    /// (<see cref="ResultCheckWriter.FailFastIfFailed"/>).
    /// </summary>
    /// <remarks>
    /// What is written is bound where it goes and asked of the analyzer's own classification: it must be a revert
    /// (and its check the failure test of its result), and every name copied from the impersonation must mean there
    /// what it meant at the impersonation. Otherwise nothing is written, and the fix is not offered.
    /// </remarks>
    internal sealed class ImpersonationEnds
    {
        private const string NoTokenName = "noToken";

        private const string CopyMarkKind = "ComImpersonation.CopiedFromImpersonation";

        private static readonly SyntaxAnnotation EndMark = new SyntaxAnnotation("ComImpersonation.WrittenEnd");

        private readonly InvocationExpressionSyntax _impersonation;
        private readonly IInvocationOperation _operation;
        private readonly ApiCall _call;
        private readonly ApiFamily _family;
        private readonly int _position;
        private readonly FixSemantics _semantics;
        private readonly CancellationToken _cancellationToken;

        private ImpersonationEnds(InvocationExpressionSyntax impersonation, IInvocationOperation operation, ApiCall call, ApiFamily family, int position, FixSemantics semantics, CancellationToken cancellationToken)
        {
            _impersonation = impersonation;
            _operation = operation;
            _call = call;
            _family = family;
            _position = position;
            _semantics = semantics;
            _cancellationToken = cancellationToken;
        }

        private SemanticModel Model => _semantics.Model;

        /// <summary>
        /// The statements that end <paramref name="impersonation"/>, bound as if written at <paramref name="position"/>;
        /// null when its row has no end a fix can write here.
        /// </summary>
        public static IReadOnlyList<StatementSyntax>? Write(InvocationExpressionSyntax impersonation, int position, FixSemantics semantics, CancellationToken cancellationToken)
        {
            if (semantics.Model.GetOperation(impersonation, cancellationToken) is not IInvocationOperation operation)
            {
                return null;
            }

            // A recognised impersonation ends as its row says; a wrapper (CsWin32's SafeHandle overloads, a helper that
            // returns the context) as its family's wrappers do.
            ApiCall call = semantics.Api.Classify(operation, semantics.Options, semantics.Model, cancellationToken);
            ImpersonationEnd end;
            ApiFamily family;
            if (call.Operation == ApiOperation.Impersonate)
            {
                family = call.Family;
                end = call.Form?.End ?? ImpersonationEnd.PartnerRevert;
            }
            else if (!call.IsRecognized && semantics.SummaryOf(operation.TargetMethod, cancellationToken) is { } summary && summary.Has(SummaryEffects.Impersonates))
            {
                family = summary.Family;
                end = ImpersonationEnd.ForWrapperOf(family);
            }
            else
            {
                return null;
            }

            var writer = new ImpersonationEnds(impersonation, operation, call, family, position, semantics, cancellationToken);
            return writer.Write(end.Form, end.MethodName) ?? writer.Write(end.Fallback, methodName: null);
        }

        private IReadOnlyList<StatementSyntax>? Write(EndForm form, string? methodName)
        {
            Draft? draft = form switch
            {
                EndForm.PartnerRevert => PartnerRevert(sameArguments: false),
                EndForm.PartnerRevertWithSameArguments => PartnerRevert(sameArguments: true),
                EndForm.SameCallWithoutToken => SameCall(zeroTokenByReference: false),
                EndForm.SameCallWithZeroTokenByReference => SameCall(zeroTokenByReference: true),
                EndForm.ContextMethod => ContextMethod(methodName!),
                _ => null,
            };

            return draft is null ? null : Finish(draft);
        }

        // ---------------------------------------------------------------------------------------------------------
        // The forms
        // ---------------------------------------------------------------------------------------------------------

        /// <summary>
        /// The family's revert declared beside the impersonation, called the same way: on the same receiver or class,
        /// parameterless, or (<paramref name="sameArguments"/>) with the impersonation's own arguments.
        /// </summary>
        private Draft? PartnerRevert(bool sameArguments)
        {
            if (FindPartner(_operation.TargetMethod, sameArguments) is not { } revert)
            {
                return null;
            }

            var draft = new Draft(revert);
            if (Callee(revert.Name, draft) is not { } callee)
            {
                return null;
            }

            ArgumentListSyntax arguments = SyntaxFactory.ArgumentList();
            if (sameArguments)
            {
                // RevertSecurityContext(ref context): the very handle the impersonation was given, so each argument
                // must be a variable that still holds it where the end goes.
                var copied = new List<ArgumentSyntax>();
                foreach (ArgumentSyntax argument in _impersonation.ArgumentList.Arguments)
                {
                    if (Model.GetOperation(argument.Expression, _cancellationToken) is not { } value || !IsStableVariable(value))
                    {
                        return null;
                    }

                    ArgumentSyntax copy = argument.WithoutTrivia();
                    copied.Add(copy.WithExpression(draft.Copy(argument.Expression, copy.Expression)));
                }

                arguments = SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(copied));
            }

            draft.End = SyntaxFactory.InvocationExpression(callee, arguments);
            return draft;
        }

        /// <summary>
        /// The impersonation's own function with no token: <c>SetThreadToken(thread, IntPtr.Zero)</c>, or with
        /// <paramref name="zeroTokenByReference"/> <c>NtSetInformationThread(thread, 5, ref noToken, size)</c> after
        /// <c>IntPtr noToken = IntPtr.Zero;</c>. Every other argument is written again, so it must give the same value
        /// with no effect (a constant, <c>GetCurrentThread()</c>, <c>IntPtr.Size</c>, a variable nothing writes).
        /// </summary>
        private Draft? SameCall(bool zeroTokenByReference)
        {
            int tokenOrdinal = _call.TokenArgument;
            IMethodSymbol method = _operation.TargetMethod;
            if (tokenOrdinal < 0 || tokenOrdinal >= method.Parameters.Length)
            {
                return null;
            }

            if (zeroTokenByReference && method.Parameters[tokenOrdinal].RefKind == RefKind.None)
            {
                // NtSetInformationThread(…, IntPtr information, …) takes a buffer's address: writing IntPtr.Zero there
                // passes no buffer (the call fails, the token stays). An overload declared beside it that takes the
                // token by reference can be given a zero handle.
                if (OverloadWithTokenByReference(method, tokenOrdinal) is not { } overload)
                {
                    return null;
                }

                method = overload;
            }

            IParameterSymbol token = method.Parameters[tokenOrdinal];
            if (zeroTokenByReference ? token.RefKind is not (RefKind.Ref or RefKind.In) : token.RefKind != RefKind.None)
            {
                return null;
            }

            var draft = new Draft(method);
            if (Callee(method.Name, draft) is not { } callee)
            {
                return null;
            }

            var arguments = new List<ArgumentSyntax>();
            foreach (IParameterSymbol parameter in method.Parameters)
            {
                if (parameter.Ordinal == tokenOrdinal)
                {
                    if (zeroTokenByReference)
                    {
                        if (NoTokenLocal(parameter.Type) is not { } local)
                        {
                            return null;
                        }

                        draft.Preparation.Add(local.Declaration);
                        SyntaxKind refKind = parameter.RefKind == RefKind.In ? SyntaxKind.InKeyword : SyntaxKind.RefKeyword;
                        arguments.Add(SyntaxFactory.Argument(null, SyntaxFactory.Token(refKind), SyntaxFactory.IdentifierName(local.Name)));
                    }
                    else if (NoHandle(parameter.Type) is { } none)
                    {
                        arguments.Add(SyntaxFactory.Argument(none));
                    }
                    else
                    {
                        return null;
                    }

                    continue;
                }

                if (OriginalArgument(parameter.Ordinal) is not { } original
                    || original.ArgumentKind != ArgumentKind.Explicit
                    || original.Syntax is not ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.None } argumentSyntax
                    || !IsRepeatable(original.Value))
                {
                    return null;
                }

                arguments.Add(SyntaxFactory.Argument(draft.Copy(argumentSyntax.Expression, argumentSyntax.Expression.WithoutTrivia())));
            }

            draft.End = SyntaxFactory.InvocationExpression(callee, SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)));
            return draft;
        }

        /// <summary>
        /// <c>var context = identity.Impersonate();</c> ends with <c>context.Undo()</c> (or the row's method): the
        /// context must be kept in a local that nothing writes again.
        /// </summary>
        private Draft? ContextMethod(string methodName)
        {
            SyntaxNode? parent = _impersonation.Parent;
            while (parent is ParenthesizedExpressionSyntax)
            {
                parent = parent.Parent;
            }

            if (parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                || Model.GetDeclaredSymbol(declarator, _cancellationToken) is not ILocalSymbol local
                || IsWritten(local)
                || local.Type.GetMembers(methodName).OfType<IMethodSymbol>().FirstOrDefault(m => m.Parameters.IsEmpty && !m.IsStatic) is not { } method)
            {
                return null;
            }

            var draft = new Draft(method);
            IdentifierNameSyntax receiver = draft.Expect(SyntaxFactory.IdentifierName(local.Name), local);
            draft.End = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, SyntaxFactory.IdentifierName(methodName)),
                SyntaxFactory.ArgumentList());
            return draft;
        }

        // ---------------------------------------------------------------------------------------------------------
        // Writing and checking what was written
        // ---------------------------------------------------------------------------------------------------------

        /// <summary>
        /// The draft's statements, with the end acting on its result where it reports failure; null unless, bound at
        /// the position, the end is a revert as the analyzer classifies it, its check is the failure test of its
        /// result, and every copied name means what it meant at the impersonation.
        /// </summary>
        private IReadOnlyList<StatementSyntax>? Finish(Draft draft)
        {
            InvocationExpressionSyntax end = draft.End!.WithAdditionalAnnotations(EndMark);
            ApiCall endCall = _semantics.Api.Classify(draft.Method, _semantics.Options);
            string name = endCall.Form?.DocumentedName ?? draft.Method.Name;
            FailureCheck check = ResultCheckWriter.CheckOf(endCall);
            StatementSyntax statement = endCall.Shape is ResultShape.Throws or ResultShape.Other
                ? SyntaxFactory.ExpressionStatement(end)
                : ResultCheckWriter.FailFastIfFailed(end, name, endCall.Shape, check, draft.Method.ReturnType, Model, _position) is { } checkedEnd
                    ? checkedEnd
                    : SyntaxFactory.ExpressionStatement(end);

            var statements = new List<StatementSyntax>(draft.Preparation) { statement };
            BlockSyntax block = SyntaxFactory.Block(statements);
            if (!Model.TryGetSpeculativeSemanticModel(_position, block, out SemanticModel? speculative)
                || block.GetAnnotatedNodes(EndMark).FirstOrDefault() is not InvocationExpressionSyntax boundEnd
                || speculative.GetOperation(boundEnd, _cancellationToken) is not IInvocationOperation endOperation
                || !SymbolEqualityComparer.Default.Equals(endOperation.TargetMethod.OriginalDefinition, draft.Method.OriginalDefinition)
                || _semantics.Api.Classify(endOperation, _semantics.Options, speculative, _cancellationToken).Operation != ApiOperation.Revert)
            {
                return null;
            }

            if (block.Statements[block.Statements.Count - 1] is IfStatementSyntax test
                && !(speculative.GetOperation(test.Condition, _cancellationToken) is { } condition
                    && ResultChecks.TryGetFailureTest(condition, endCall.Shape, out IOperation tested, out bool failureWhenTrue)
                    && failureWhenTrue
                    && tested.Syntax == boundEnd))
            {
                return null;
            }

            if (!draft.MeansTheSame(block, Model, speculative, _cancellationToken))
            {
                return null;
            }

            return block.Statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToList();
        }

        /// <summary>
        /// The callee of the end: the impersonation's own, renamed to <paramref name="name"/> (<c>CoImpersonateClient</c>
        /// gives <c>CoRevertToSelf</c>, <c>security.ImpersonateClient</c> gives <c>security.RevertToSelf</c>), its receiver
        /// recorded in <paramref name="draft"/> as copied. Null when the receiver would have to be evaluated again with
        /// possible effects (<c>GetSecurity().ImpersonateClient()</c>).
        /// </summary>
        private ExpressionSyntax? Callee(string name, Draft draft) => _impersonation.Expression switch
        {
            IdentifierNameSyntax => SyntaxFactory.IdentifierName(name),
            MemberAccessExpressionSyntax { Name: IdentifierNameSyntax } access when IsStableReceiver(access.Expression) =>
                SyntaxFactory.MemberAccessExpression(access.Kind(), draft.Copy(access.Expression, access.Expression.WithoutTrivia()), SyntaxFactory.IdentifierName(name)),
            _ => null,
        };

        /// <summary>A revert of the impersonation's family declared beside it (same interface, struct or P/Invoke class, same static-ness).</summary>
        private IMethodSymbol? FindPartner(IMethodSymbol impersonation, bool sameParameters)
        {
            INamedTypeSymbol? type = impersonation.ContainingType;
            if (type is null)
            {
                return null;
            }

            IMethodSymbol? found = FindPartnerIn(type, impersonation, sameParameters);
            if (found is null && type.TypeKind == TypeKind.Interface)
            {
                foreach (INamedTypeSymbol baseInterface in type.AllInterfaces)
                {
                    found = FindPartnerIn(baseInterface, impersonation, sameParameters);
                    if (found is not null)
                    {
                        break;
                    }
                }
            }

            return found;
        }

        /// <summary>A class that declares both gives CoImpersonateClient its CoRevertToSelf, ImpersonateLoggedOnUser its RevertToSelf.</summary>
        private IMethodSymbol? FindPartnerIn(INamedTypeSymbol type, IMethodSymbol impersonation, bool sameParameters)
        {
            foreach (ISymbol member in type.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsGenericMethod: false } candidate
                    && candidate.IsStatic == impersonation.IsStatic
                    && (sameParameters ? SameParameters(candidate, impersonation) : candidate.Parameters.IsEmpty)
                    && _semantics.Api.Classify(candidate, _semantics.Options) is { Operation: ApiOperation.Revert } revert
                    && revert.Family == _family)
                {
                    return candidate;
                }
            }

            return null;
        }

        private static bool SameParameters(IMethodSymbol a, IMethodSymbol b) =>
            a.Parameters.Length == b.Parameters.Length
            && a.Parameters.Zip(b.Parameters, (x, y) => x.RefKind == y.RefKind && SymbolEqualityComparer.Default.Equals(x.Type, y.Type)).All(same => same);

        /// <summary>The same entry point declared beside <paramref name="method"/> with the token by reference and every other parameter alike.</summary>
        private IMethodSymbol? OverloadWithTokenByReference(IMethodSymbol method, int tokenOrdinal)
        {
            foreach (ISymbol member in method.ContainingType.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } candidate
                    && candidate.IsStatic == method.IsStatic
                    && candidate.Parameters.Length == method.Parameters.Length
                    && candidate.Parameters[tokenOrdinal].RefKind is RefKind.Ref or RefKind.In
                    && ReferenceEquals(_semantics.Api.Classify(candidate, _semantics.Options).Form, _call.Form)
                    && candidate.Parameters.All(p => p.Ordinal == tokenOrdinal
                        || (p.RefKind == method.Parameters[p.Ordinal].RefKind && SymbolEqualityComparer.Default.Equals(p.Type, method.Parameters[p.Ordinal].Type))))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary><c>IntPtr noToken = IntPtr.Zero;</c> (or <c>T noToken = default;</c>), under a name nothing in the member uses.</summary>
        private (StatementSyntax Declaration, string Name)? NoTokenLocal(ITypeSymbol type)
        {
            if (type.IsReferenceType || type.TypeKind is TypeKind.Error or TypeKind.Pointer || LocalNames.Unused(NoTokenName, _impersonation, Model) is not { } name)
            {
                return null;
            }

            TypeSyntax typeSyntax = TypeSyntaxOf(type);
            ExpressionSyntax zero = IsPointerSized(type)
                ? SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, typeSyntax, SyntaxFactory.IdentifierName("Zero"))
                : SyntaxFactory.LiteralExpression(SyntaxKind.DefaultLiteralExpression);
            StatementSyntax declaration = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    typeSyntax,
                    SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(zero)))));
            return (declaration, name);
        }

        /// <summary>No handle of <paramref name="type"/>, as the analysis reads one: <c>IntPtr.Zero</c>, <c>null</c> for a pointer, <c>default</c> for a struct.</summary>
        private ExpressionSyntax? NoHandle(ITypeSymbol type)
        {
            if (IsPointerSized(type))
            {
                return SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, TypeSyntaxOf(type), SyntaxFactory.IdentifierName("Zero"));
            }

            return type.TypeKind switch
            {
                TypeKind.Pointer => SyntaxFactory.LiteralExpression(SyntaxKind.NullLiteralExpression),
                TypeKind.Struct or TypeKind.Enum => SyntaxFactory.LiteralExpression(SyntaxKind.DefaultLiteralExpression),
                _ => null, // a SafeHandle cannot be null: the marshaller would throw
            };
        }

        private static bool IsPointerSized(ITypeSymbol type) => type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        /// <summary>The type as the file can write it: <c>IntPtr</c> stays <c>IntPtr</c> (C# would display it as <c>nint</c>).</summary>
        private TypeSyntax TypeSyntaxOf(ITypeSymbol type)
        {
            if (IsPointerSized(type))
            {
                string shortName = type.SpecialType == SpecialType.System_IntPtr ? "IntPtr" : "UIntPtr";
                TypeSyntax named = SyntaxFactory.ParseTypeName(shortName);
                return SymbolEqualityComparer.Default.Equals(Model.GetSpeculativeTypeInfo(_position, named, SpeculativeBindingOption.BindAsTypeOrNamespace).Type, type)
                    ? named
                    : SyntaxFactory.ParseTypeName("System." + shortName);
            }

            return SyntaxFactory.ParseTypeName(type.ToMinimalDisplayString(Model, _position)).WithAdditionalAnnotations(Simplifier.Annotation);
        }

        private IArgumentOperation? OriginalArgument(int ordinal) =>
            _operation.Arguments.FirstOrDefault(argument => argument.Parameter?.Ordinal == ordinal);

        /// <summary>
        /// A value that is the same when read again where the end goes, and reading it has no effect: a constant,
        /// <c>default</c>, <c>sizeof</c>, <c>IntPtr.Size</c>, <c>new IntPtr(-2)</c>, <c>GetCurrentThread()</c>,
        /// <c>Marshal.SizeOf&lt;T&gt;()</c>, a local, parameter or field nothing in the member writes.
        /// </summary>
        private bool IsRepeatable(IOperation value)
        {
            value = OperationValues.WithoutConversions(value);
            if (value.ConstantValue.HasValue)
            {
                return true;
            }

            switch (value)
            {
                case IDefaultValueOperation or ISizeOfOperation or ITypeOfOperation or IInstanceReferenceOperation:
                    return true;
                case ILocalReferenceOperation local:
                    return !IsWritten(local.Local);
                case IParameterReferenceOperation parameter:
                    return parameter.Parameter.RefKind == RefKind.None && !IsWritten(parameter.Parameter);
                case IFieldReferenceOperation field:
                    return (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation) && (field.Field.IsReadOnly || !IsWritten(field.Field));
                case IPropertyReferenceOperation property:
                    return property.Property.IsStatic && property.Arguments.IsEmpty;
                case IObjectCreationOperation creation:
                    return creation.Type?.IsValueType == true && creation.Initializer is null && creation.Arguments.All(a => IsRepeatable(a.Value));
                case IUnaryOperation unary:
                    return IsRepeatable(unary.Operand);
                case IBinaryOperation binary:
                    return binary.OperatorMethod is null && IsRepeatable(binary.LeftOperand) && IsRepeatable(binary.RightOperand);
                case IInvocationOperation invocation:
                    return (invocation.Arguments.IsEmpty && ApiModel.IsGetCurrentThread(invocation.TargetMethod))
                        || (invocation.TargetMethod is { Name: "SizeOf", ContainingType.Name: "Marshal" } && invocation.Arguments.All(a => IsRepeatable(a.Value)));
                default:
                    return false;
            }
        }

        /// <summary>
        /// A variable that still holds what the impersonation was given where the end goes: a local or parameter, or
        /// a field of <c>this</c> or a static one (or a field of such a struct), that nothing in the member writes
        /// except the impersonation and the revert themselves.
        /// </summary>
        private bool IsStableVariable(IOperation value) => OperationValues.WithoutConversions(value) switch
        {
            ILocalReferenceOperation local => !IsWritten(local.Local),
            IParameterReferenceOperation parameter => !IsWritten(parameter.Parameter),
            IFieldReferenceOperation field => !IsWritten(field.Field)
                && (field.Field.IsStatic
                    || field.Instance is IInstanceReferenceOperation
                    || (field.Instance is { Type.IsValueType: true } instance && IsStableVariable(instance))),
            _ => false,
        };

        /// <summary>
        /// Does the function that holds the impersonation write <paramref name="symbol"/> (an assignment, <c>++</c>, a
        /// <c>ref</c> or <c>out</c> argument), other than by passing it to an impersonation or revert?
        /// </summary>
        private bool IsWritten(ISymbol symbol)
        {
            SyntaxNode body = StatementFacts.FunctionBodyOf(_impersonation);
            foreach (SyntaxNode node in body.DescendantNodes())
            {
                ExpressionSyntax? written = node switch
                {
                    AssignmentExpressionSyntax assignment => assignment.Left,
                    PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                    PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
                    ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument
                        when !(argument.Parent?.Parent is InvocationExpressionSyntax call
                            && _semantics.OperationOf(call, _cancellationToken) is ApiOperation.Impersonate or ApiOperation.Revert) => argument.Expression,
                    _ => null,
                };

                if (written is not null && WrittenSymbol(written) is { } target && SymbolEqualityComparer.Default.Equals(target, symbol))
                {
                    return true;
                }
            }

            return false;
        }

        private ISymbol? WrittenSymbol(ExpressionSyntax written) => written switch
        {
            DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } => Model.GetDeclaredSymbol(designation, _cancellationToken),
            TupleExpressionSyntax => null,
            _ => Model.GetSymbolInfo(written, _cancellationToken).Symbol,
        };

        /// <summary>
        /// A receiver that can be evaluated again with the same result and no effect: a local, parameter, field or
        /// property path (<c>_security</c>, <c>this.context.Security</c>, <c>NativeMethods</c>), possibly cast.
        /// </summary>
        private static bool IsStableReceiver(ExpressionSyntax receiver) => receiver switch
        {
            IdentifierNameSyntax or ThisExpressionSyntax or BaseExpressionSyntax or PredefinedTypeSyntax or AliasQualifiedNameSyntax => true,
            GenericNameSyntax generic => !generic.IsUnboundGenericName,
            MemberAccessExpressionSyntax access => IsStableReceiver(access.Expression),
            ParenthesizedExpressionSyntax parenthesized => IsStableReceiver(parenthesized.Expression),
            CastExpressionSyntax cast => IsStableReceiver(cast.Expression),
            _ => false,
        };

        /// <summary>An end being written: the method it calls, the statements before it, and the names it repeats from the impersonation.</summary>
        private sealed class Draft
        {
            private readonly List<(SyntaxAnnotation Mark, ExpressionSyntax? Original, ISymbol? Expected)> _copies =
                new List<(SyntaxAnnotation, ExpressionSyntax?, ISymbol?)>();

            public Draft(IMethodSymbol method)
            {
                Method = method;
            }

            public IMethodSymbol Method { get; }

            public List<StatementSyntax> Preparation { get; } = new List<StatementSyntax>();

            public InvocationExpressionSyntax? End { get; set; }

            /// <summary>
            /// <paramref name="copy"/> repeats <paramref name="original"/>: each of its names must bind, where the end goes,
            /// to what it bound to at the impersonation. Returns the copy to write, marked to be found again.
            /// </summary>
            public TNode Copy<TNode>(ExpressionSyntax original, TNode copy)
                where TNode : ExpressionSyntax
            {
                var mark = new SyntaxAnnotation(CopyMarkKind);
                _copies.Add((mark, original, null));
                return copy.WithAdditionalAnnotations(mark);
            }

            /// <summary><paramref name="name"/> must bind to <paramref name="symbol"/> where the end goes. Returns the name to write.</summary>
            public IdentifierNameSyntax Expect(IdentifierNameSyntax name, ISymbol symbol)
            {
                var mark = new SyntaxAnnotation(CopyMarkKind);
                _copies.Add((mark, null, symbol));
                return name.WithAdditionalAnnotations(mark);
            }

            /// <summary>Every copied name binds in <paramref name="speculative"/> (over <paramref name="block"/>) as recorded.</summary>
            public bool MeansTheSame(BlockSyntax block, SemanticModel original, SemanticModel speculative, CancellationToken cancellationToken)
            {
                foreach ((SyntaxAnnotation mark, ExpressionSyntax? source, ISymbol? expected) in _copies)
                {
                    if (block.GetAnnotatedNodes(mark).FirstOrDefault() is not ExpressionSyntax copy)
                    {
                        return false;
                    }

                    List<IdentifierNameSyntax> written = copy.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().ToList();
                    if (source is null)
                    {
                        if (written.Count != 1 || !SymbolEqualityComparer.Default.Equals(speculative.GetSymbolInfo(written[0], cancellationToken).Symbol, expected))
                        {
                            return false;
                        }

                        continue;
                    }

                    List<IdentifierNameSyntax> read = source.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().ToList();
                    if (read.Count != written.Count)
                    {
                        return false;
                    }

                    for (int i = 0; i < read.Count; i++)
                    {
                        ISymbol? before = original.GetSymbolInfo(read[i], cancellationToken).Symbol;
                        ISymbol? after = speculative.GetSymbolInfo(written[i], cancellationToken).Symbol;
                        if (before is null || !SymbolEqualityComparer.Default.Equals(before, after))
                        {
                            return false;
                        }
                    }
                }

                return true;
            }
        }
    }
}
