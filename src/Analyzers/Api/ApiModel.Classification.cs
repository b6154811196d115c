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
    /// <summary>Classifying one method by the table: a .NET method, a NtApiDotNet context method, a P/Invoke, a COM method.</summary>
    internal sealed partial class ApiModel
    {
        private static ApiCall ClassifyUncached(IMethodSymbol method)
        {
            if (method.MethodKind != MethodKind.Ordinary || method.ContainingType is not { } type)
            {
                return ApiCall.None;
            }

            if (type.TypeKind == TypeKind.Class && ClassifyManaged(method, type) is { IsRecognized: true } managed)
            {
                return managed;
            }

            if (ClassifyContextMethod(method, type) is { IsRecognized: true } context)
            {
                return context;
            }

            if (method.IsStatic)
            {
                return TryGetNativeImport(method, out string? entryPoint, out string? library)
                    ? ClassifyNative(method, entryPoint!, library)
                    : ApiCall.None;
            }

            if (type.TypeKind != TypeKind.Interface && type.TypeKind != TypeKind.Struct)
            {
                // A class that implements IServerSecurity is a managed call context, not the COM API.
                return ApiCall.None;
            }

            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.ComMethod
                    && string.Equals(method.Name, form.Name, StringComparison.Ordinal)
                    && IsOrDerivesFrom(type, form.ComInterface!))
                {
                    return new ApiCall(form.Operation, ShapeOf(method.ReturnType), type.Name + "." + method.Name, ApiFamily.Com, ImpersonationKind.ComCallContext, form: form);
                }
            }

            return ApiCall.None;
        }

        private static ApiCall ClassifyManaged(IMethodSymbol method, INamedTypeSymbol type)
        {
            string? typeName = null;
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.ManagedMethod && string.Equals(method.Name, form.Name, StringComparison.Ordinal))
                {
                    typeName ??= type.ToDisplayString(FullNameFormat);
                    if (typeName == form.TypeName)
                    {
                        return new ApiCall(form.Operation, ResultShape.Throws, type.Name + "." + method.Name, form.Family, ImpersonationKind.ExplicitToken, form: form);
                    }
                }
            }

            return ApiCall.None;
        }

        /// <summary>
        /// NtApiDotNet / NtCoreLib: a method that returns a <c>ThreadImpersonationContext</c> impersonates; the context's own
        /// <c>Revert()</c> and <c>Dispose()</c> end it. Recognised by the context's full name, never by a method name alone.
        /// </summary>
        private static ApiCall ClassifyContextMethod(IMethodSymbol method, INamedTypeSymbol type)
        {
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind != ApiFormKind.ContextMethod || !string.Equals(method.Name, form.Name, StringComparison.Ordinal))
                {
                    continue;
                }

                INamedTypeSymbol? context = form.Operation == ApiOperation.Impersonate ? method.ReturnType as INamedTypeSymbol : type;
                if (context is { Name: "ThreadImpersonationContext" } && ApiTable.ThreadImpersonationContextTypes.Contains(context.ToDisplayString(FullNameFormat)))
                {
                    ArgumentRule rule = form.Operation == ApiOperation.Impersonate && ApiTable.NtThreadTypes.Contains(type.ToDisplayString(FullNameFormat)) && !method.IsStatic
                        ? ArgumentRule.ReceiverIsCurrentThread
                        : ArgumentRule.None;
                    return new ApiCall(form.Operation, ResultShape.Throws, type.Name + "." + method.Name, ApiFamily.NtObjectManager, ImpersonationKind.ExplicitToken, rule, form: form);
                }
            }

            return ApiCall.None;
        }

        private static ApiCall ClassifyNative(IMethodSymbol method, string entryPoint, string? library)
        {
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.NativeFunction
                    && string.Equals(entryPoint, form.Name, StringComparison.Ordinal)
                    && form.Libraries!.Matches(library))
                {
                    string display = string.Equals(method.Name, entryPoint, StringComparison.Ordinal)
                        ? entryPoint
                        : method.Name + " (" + entryPoint + ")";
                    ImpersonationKind kind = form.Family == ApiFamily.Com ? ImpersonationKind.ComCallContext : ImpersonationKind.ExplicitToken;
                    return new ApiCall(form.Operation, ShapeOf(method.ReturnType, form.Convention), display, form.Family, kind, form.ArgumentRule, form.ThreadArgument, form.TokenArgument, form.ThreadRule, form);
                }
            }

            return ApiCall.None;
        }

        private static bool TryGetNativeImport(IMethodSymbol method, out string? entryPoint, out string? library)
        {
            DllImportData? dllImport = method.GetDllImportData();
            if (dllImport is not null)
            {
                entryPoint = dllImport.EntryPointName ?? method.Name;
                library = dllImport.ModuleName;
                return true;
            }

            IMethodSymbol declaration = method.PartialDefinitionPart ?? method;
            foreach (AttributeData attribute in declaration.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass
                    && attributeClass.ToDisplayString(FullNameFormat) == LibraryImportAttributeName)
                {
                    library = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string : null;
                    entryPoint = method.Name;
                    foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                    {
                        if (named.Key == "EntryPoint" && named.Value.Value is string renamed)
                        {
                            entryPoint = renamed;
                        }
                    }

                    return true;
                }
            }

            entryPoint = null;
            library = null;
            return false;
        }

        private static bool IsOrDerivesFrom(INamedTypeSymbol type, ComInterfaceIdentity identity)
        {
            if (Identifies(type, identity))
            {
                return true;
            }

            if (type.TypeKind == TypeKind.Interface)
            {
                foreach (INamedTypeSymbol baseInterface in type.AllInterfaces)
                {
                    if (Identifies(baseInterface, identity))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>[Guid] first: a type with a GuidAttribute is identified by it alone; otherwise by its full name.</summary>
        private static bool Identifies(INamedTypeSymbol type, ComInterfaceIdentity identity)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "GuidAttribute" } attributeClass
                    && attributeClass.ToDisplayString(FullNameFormat) == GuidAttributeName)
                {
                    return attribute.ConstructorArguments.Length == 1
                        && attribute.ConstructorArguments[0].Value is string text
                        && Guid.TryParse(text, out Guid guid)
                        && identity.Guids.Contains(guid);
                }
            }

            string fullName = type.ToDisplayString(FullNameFormat);
            return identity.KnownFullNames.Contains(fullName);
        }
    }
}
