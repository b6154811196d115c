using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>Questions the analysis asks about calls that are not impersonations themselves: thread hand-offs, runners, result checks, error queries, saved and current identities.</summary>
    internal sealed partial class ApiModel
    {
        /// <summary><c>System.Security.Principal.WindowsImpersonationContext</c>: undoing or disposing it ends its impersonation.</summary>
        public bool IsImpersonationContext(INamedTypeSymbol type) =>
            type.Name == "WindowsImpersonationContext" && type.ToDisplayString(FullNameFormat) == ApiTable.WindowsImpersonationContextType;

        /// <summary><c>OpenThreadToken(thread, access, openAsSelf, out token)</c>: saves the thread's current token into its out argument.</summary>
        public static bool IsThreadTokenSave(IMethodSymbol method) =>
            method.IsStatic
            && TryGetNativeImport(method, out string? entryPoint, out string? library)
            && entryPoint == ApiTable.OpenThreadTokenEntryPoint
            && ApiTable.SecurityLibraries.Matches(library);

        /// <summary>A call that reads the error of a failed call (<c>Marshal.GetLastWin32Error()</c>): acting on a result, not work.</summary>
        public static bool IsErrorQuery(IMethodSymbol method) => ApiTable.ErrorQueryMethods.Contains(method.Name);

        /// <summary><c>WindowsIdentity.GetCurrent()</c> or <c>GetCurrent(TokenAccessLevels)</c>, which never return null.</summary>
        public static bool IsCurrentIdentity(IOperation value) =>
            OperationValues.WithoutConversions(value) is IInvocationOperation { TargetMethod: { Name: ApiTable.GetCurrentMethod, IsStatic: true } method } call
            && method.ContainingType?.ToDisplayString(FullNameFormat) == ApiTable.WindowsIdentityType
            && (call.Arguments.Length == 0 || call.Arguments[0].Value.Type?.SpecialType != SpecialType.System_Boolean);

        /// <summary>
        /// <c>WindowsIdentity.GetCurrent(…).Token</c>: the thread's (or process's) token as it is now, a saved identity.
        /// </summary>
        public static bool IsCurrentToken(IOperation value) =>
            OperationValues.WithoutConversions(value) is IPropertyReferenceOperation { Property.Name: "Token", Instance: IInvocationOperation { TargetMethod: { Name: ApiTable.GetCurrentMethod, IsStatic: true } method } }
            && method.ContainingType?.ToDisplayString(FullNameFormat) == ApiTable.WindowsIdentityType;

        /// <summary>True when <paramref name="method"/> runs its delegate arguments on another thread.</summary>
        public bool IsThreadHandoff(IMethodSymbol method)
        {
            IMethodSymbol definition = method.OriginalDefinition;
            INamedTypeSymbol? type = definition.ContainingType;
            if (type is null)
            {
                return false;
            }

            string? typeName = null;
            foreach (ThreadHandoff handoff in ApiTable.ThreadHandoffs)
            {
                if (handoff.MethodName == definition.Name)
                {
                    typeName ??= type.OriginalDefinition.ToDisplayString(FullNameFormat);
                    if (handoff.TypeName == typeName)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The runner row when <paramref name="method"/> runs a delegate impersonated (<c>WindowsIdentity.RunImpersonated</c>).</summary>
        public ImpersonatedRunner? ImpersonatedRunnerOf(IMethodSymbol method)
        {
            INamedTypeSymbol? type = method.ContainingType;
            if (type is null)
            {
                return null;
            }

            foreach (ImpersonatedRunner runner in ApiTable.ImpersonatedRunners)
            {
                if (runner.MethodName == method.Name && type.ToDisplayString(FullNameFormat) == runner.TypeName)
                {
                    return runner;
                }
            }

            return null;
        }

        /// <summary><c>IServerSecurity.IsImpersonating()</c>: asks the call context whether the thread impersonates.</summary>
        public bool IsImpersonationQuery(IMethodSymbol method) =>
            method.Name == "IsImpersonating"
            && !method.IsStatic
            && method.ContainingType is { TypeKind: TypeKind.Interface or TypeKind.Struct } type
            && IsOrDerivesFrom(type, ApiTable.IServerSecurity);

        /// <summary>True when a call by this simple name could be a thread hand-off (for the syntactic pre-check).</summary>
        public static bool IsThreadHandoffName(string name)
        {
            foreach (ThreadHandoff handoff in ApiTable.ThreadHandoffs)
            {
                if (handoff.MethodName == name)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True for the HRESULT helpers that throw only when the result says failure.</summary>
        public static bool IsThrowOnFailure(IMethodSymbol method) => ApiTable.ThrowOnFailureMethods.Contains(method.Name);
    }
}
