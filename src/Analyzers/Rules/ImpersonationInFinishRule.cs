using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>COMIMP005: any impersonation inside a <c>Finish_</c> method (its lambdas and local functions too).</summary>
    internal static class ImpersonationInFinishRule
    {
        public static bool IsFinishMethod(ISymbol owner) =>
            owner is IMethodSymbol method && SimpleName(method).StartsWith("Finish_", System.StringComparison.Ordinal) && SimpleName(method).Length > 7;

        /// <summary>The method's name without an explicit implementation's interface prefix.</summary>
        public static string SimpleName(IMethodSymbol method) =>
            method.ExplicitInterfaceImplementations.Length > 0 ? method.ExplicitInterfaceImplementations[0].Name : method.Name;

        public static void Report(ISymbol owner, BodyModel model, DiagnosticSink sink)
        {
            if (!IsFinishMethod(owner))
            {
                return;
            }

            foreach (ImpersonationSite site in model.Impersonations)
            {
                sink.Report(Descriptors.ImpersonationInFinish, site.Operation.Syntax, site.Api.DisplayName, SimpleName((IMethodSymbol)owner));
            }
        }
    }
}
