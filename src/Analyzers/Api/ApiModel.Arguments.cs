using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>What a recognised call's arguments say: whose thread, which token, a null handle, a saved token.</summary>
    internal sealed partial class ApiModel
    {
        private static bool IsSavedThreadToken(IOperation token, IInvocationOperation setThreadToken, SemanticModel semanticModel)
        {
            if (OperationValues.WithoutConversions(token) is not ILocalReferenceOperation { Local: var local }
                || setThreadToken.Syntax.SyntaxTree != semanticModel.SyntaxTree
                || setThreadToken.Syntax.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
            {
                return false;
            }

            foreach (SyntaxNode node in member.DescendantNodes())
            {
                // Any name: a renamed P/Invoke of OpenThreadToken saves the token as well.
                if (node is InvocationExpressionSyntax { ArgumentList: var arguments } call
                    && SavesInto(arguments, local, semanticModel)
                    && semanticModel.GetSymbolInfo(call).Symbol is IMethodSymbol method
                    && TryGetNativeImport(method, out string? entryPoint, out string? library)
                    && entryPoint == ApiTable.OpenThreadTokenEntryPoint
                    && ApiTable.SecurityLibraries.Matches(library))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool SavesInto(ArgumentListSyntax arguments, ILocalSymbol local, SemanticModel semanticModel)
        {
            foreach (ArgumentSyntax argument in arguments.Arguments)
            {
                if (!argument.RefKindKeyword.IsKind(SyntaxKind.None)
                    && argument.Expression switch
                    {
                        DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } => semanticModel.GetDeclaredSymbol(designation),
                        var expression => semanticModel.GetSymbolInfo(expression).Symbol,
                    } is ILocalSymbol saved
                    && SymbolEqualityComparer.Default.Equals(saved, local))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The thread argument names the calling thread: null (by value), or the current thread's pseudo-handle
        /// (<c>GetCurrentThread()</c>). Anything else, a handle passed by reference included, is taken for another
        /// thread: in doubt, the call is not an impersonation of this one.
        /// </summary>
        private static bool IsCallingThread(IOperation thread, ThreadRule rule)
        {
            IOperation value = OperationValues.WithoutConversions(thread);
            bool currentThreadCall = value is IInvocationOperation { TargetMethod: var method } && IsGetCurrentThread(method);
            if (rule == ThreadRule.PseudoHandleIsCurrent)
            {
                // NtCurrentThread: the pseudo-handle -2, as a constant, new IntPtr(-2) or a member of that name.
                return currentThreadCall
                    || IsConstant(value, -2)
                    || (value is IObjectCreationOperation { Arguments.Length: 1 } creation && IsConstant(OperationValues.WithoutConversions(creation.Arguments[0].Value), -2))
                    || (value is IPropertyReferenceOperation { Property.Name: "NtCurrentThread" or "CurrentThread" } or IFieldReferenceOperation { Field.Name: "NtCurrentThread" or "CurrentThread" });
            }

            if (thread.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None })
            {
                return false;
            }

            return IsNoHandle(thread) || currentThreadCall;
        }

        /// <summary>A P/Invoke of <c>GetCurrentThread</c> (any name): its pseudo-handle names the calling thread, and calling it again has no effect.</summary>
        internal static bool IsGetCurrentThread(IMethodSymbol method) =>
            TryGetNativeImport(method, out string? entryPoint, out _) && entryPoint == ApiTable.GetCurrentThreadEntryPoint;

        private static bool IsConstant(IOperation value, long expected) =>
            value.ConstantValue is { HasValue: true, Value: int or long or short } constant
            && Convert.ToInt64(constant.Value, System.Globalization.CultureInfo.InvariantCulture) == expected;

        /// <summary>
        /// <c>NtSetInformationThread(thread, ThreadImpersonationToken, &amp;token, size)</c> given a local that holds no
        /// token: <c>IntPtr noToken = IntPtr.Zero;</c> passed by reference, never written again, or a buffer the body
        /// writes only no token into (<c>Marshal.WriteIntPtr(buffer, IntPtr.Zero)</c>). The call is then the family's
        /// revert. The analysis and the code fixes both ask this, in the tree of <paramref name="semanticModel"/>.
        /// </summary>
        internal static bool HoldsNoToken(ILocalSymbol local, SemanticModel semanticModel, CancellationToken cancellationToken) =>
            AlwaysNoToken(local, semanticModel, cancellationToken) || HoldsNoTokenBuffer(local, semanticModel, cancellationToken);

        /// <summary>A local that is only ever given no token (<c>IntPtr zero = IntPtr.Zero;</c>) in the block that declares it.</summary>
        private static bool AlwaysNoToken(ILocalSymbol local, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            if (local.DeclaringSyntaxReferences.IsEmpty
                || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
                || semanticModel.SyntaxTree != declarator.SyntaxTree
                || semanticModel.GetOperation(initializer, cancellationToken) is not { } value
                || !IsNoHandle(value))
            {
                return false;
            }

            SyntaxNode? scope = declarator.FirstAncestorOrSelf<BlockSyntax>();
            foreach (SyntaxNode node in scope?.DescendantNodes() ?? Enumerable.Empty<SyntaxNode>())
            {
                if (node is AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } && name.Identifier.ValueText == local.Name)
                {
                    return false; // written again: not known to hold no token
                }
            }

            return true;
        }

        /// <summary>A buffer passed by value whose block writes only no token into it: the buffer form of NtSetInformationThread's revert.</summary>
        private static bool HoldsNoTokenBuffer(ILocalSymbol buffer, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            if (buffer.DeclaringSyntaxReferences.IsEmpty
                || buffer.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken).FirstAncestorOrSelf<BlockSyntax>() is not { } scope
                || semanticModel.SyntaxTree != scope.SyntaxTree)
            {
                return false;
            }

            bool zeroWritten = false;
            foreach (SyntaxNode node in scope.DescendantNodes())
            {
                if (node is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 2 } arguments } write
                    && InvokedName(write) == "WriteIntPtr"
                    && arguments[0].Expression is IdentifierNameSyntax target
                    && target.Identifier.ValueText == buffer.Name)
                {
                    if (semanticModel.GetOperation(arguments[1].Expression, cancellationToken) is not { } written || !IsNoHandle(written))
                    {
                        return false; // a token goes in: an impersonation
                    }

                    zeroWritten = true;
                }
            }

            return zeroWritten;
        }

        /// <summary>The value passed for the parameter at <paramref name="ordinal"/>, or null.</summary>
        internal static IOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
        {
            foreach (IArgumentOperation argument in invocation.Arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument.Value;
                }
            }

            return null;
        }

        /// <summary>
        /// A null handle: <c>null</c>, <c>0</c>, <c>default</c>, <c>IntPtr.Zero</c>, <c>HANDLE.Null</c> (CsWin32),
        /// <c>HTOKEN.NULL</c> (Vanara), <c>new HANDLE()</c>, <c>new IntPtr(0)</c>.
        /// </summary>
        internal static bool IsNoHandle(IOperation value)
        {
            value = OperationValues.WithoutConversions(value);
            if (value.ConstantValue.HasValue)
            {
                return value.ConstantValue.Value switch
                {
                    null => true,
                    int i => i == 0,
                    long l => l == 0,
                    uint u => u == 0,
                    ulong ul => ul == 0,
                    _ => false,
                };
            }

            return value switch
            {
                IDefaultValueOperation => true,
                IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" or "Null" or "NULL" } } => true,
                IPropertyReferenceOperation { Property: { IsStatic: true, Name: "Zero" or "Null" or "NULL" } } => true,
                IObjectCreationOperation { Arguments.Length: 0, Initializer: null, Type.TypeKind: TypeKind.Struct } => true,
                IObjectCreationOperation { Arguments.Length: 1, Type.TypeKind: TypeKind.Struct } creation => IsNoHandle(creation.Arguments[0].Value),
                _ => false,
            };
        }
    }
}
