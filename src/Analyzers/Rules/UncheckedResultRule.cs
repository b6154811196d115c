using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>COMIMP004: an impersonation result that is not acted on, reported at the impersonation.</summary>
    internal static class UncheckedResultRule
    {
        public static void Report(BodyModel model, CapturedNames captured, SemanticModel semanticModel, DiagnosticSink sink)
        {
            foreach ((ImpersonationSite site, UncheckedResult how) in ResultUse.FindUnchecked(model, captured, semanticModel))
            {
                sink.Report(Descriptors.UncheckedResult, site.Operation.Syntax, site.Api.DisplayName, Describe(how));
            }
        }

        private static string Describe(UncheckedResult how) => how switch
        {
            UncheckedResult.Discarded => "it is discarded",
            UncheckedResult.NeverRead => "it is stored in a local that is never read",
            _ => "its exception is swallowed by a catch that neither rethrows, throws nor returns",
        };
    }
}
