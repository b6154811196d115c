using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>COMIMP005: any impersonation inside a <c>Finish_</c> method (its lambdas and local functions too).</summary>
    internal static class ImpersonationInFinishRule
    {
        public static void Report(ISymbol owner, BodyModel model, DiagnosticSink sink)
        {
            if (!ApiModel.IsFinishMethod(owner))
            {
                return;
            }

            foreach (ImpersonationSite site in model.Impersonations)
            {
                if (!site.Api.IsComCallContext)
                {
                    continue; // impersonating an explicit token in Finish_ is legitimate
                }

                sink.Report(Descriptors.ImpersonationInFinish, site.Operation.Syntax, site.Api.DisplayName, ApiModel.SimpleName((IMethodSymbol)owner));
            }
        }
    }
}
