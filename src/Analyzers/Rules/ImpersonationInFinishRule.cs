using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>COMIMP005: any impersonation inside a <c>Finish_</c> method (its lambdas and local functions too).</summary>
    internal static class ImpersonationInFinishRule
    {
        public static bool IsFinishMethod(ISymbol owner) =>
            owner is IMethodSymbol { Name: { Length: > 7 } name } && name.StartsWith("Finish_", System.StringComparison.Ordinal);

        public static void Report(ISymbol owner, BodyModel model, DiagnosticSink sink)
        {
            if (!IsFinishMethod(owner))
            {
                return;
            }

            foreach (ImpersonationSite site in model.Impersonations)
            {
                sink.Report(Descriptors.ImpersonationInFinish, site.Operation.Syntax, site.Api.DisplayName, owner.Name);
            }
        }
    }
}
