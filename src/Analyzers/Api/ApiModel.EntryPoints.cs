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
    /// <summary>Begin_ / Finish_ methods (SPEC §2): recognised by name alone.</summary>
    internal sealed partial class ApiModel
    {
        /// <summary>
        /// A method's name without an explicit implementation's interface prefix: <c>AsyncIFoo.Finish_X</c> is
        /// <c>Finish_X</c>. SPEC §2 recognises Begin_/Finish_ methods by this name alone.
        /// </summary>
        public static string SimpleName(IMethodSymbol method) =>
            method.ExplicitInterfaceImplementations.Length > 0 ? method.ExplicitInterfaceImplementations[0].Name : method.Name;

        /// <summary>A <c>Finish_X</c> method (SPEC §2): it runs after Signal, when the call context is gone.</summary>
        public static bool IsFinishMethod(ISymbol symbol) =>
            symbol is IMethodSymbol method
            && SimpleName(method) is { Length: > 7 } name
            && name.StartsWith(ApiTable.FinishPrefix, StringComparison.Ordinal);

        /// <summary>A method COM calls (Begin_ or Finish_), not code that could revert after it.</summary>
        public static bool IsComEntryPoint(IMethodSymbol? method) =>
            method is not null
            && (SimpleName(method).StartsWith(ApiTable.BeginPrefix, StringComparison.Ordinal)
                || SimpleName(method).StartsWith(ApiTable.FinishPrefix, StringComparison.Ordinal));
    }
}
