using System.Threading;
using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// COMIMP004: an impersonation result that is not acted on, reported at the impersonation. The message says how
    /// the result is lost, and the place that loses it (the overwriting write, the exit, the loop's back edge, the
    /// swallowing catch) is the diagnostic's additional location.
    /// </summary>
    internal static class UncheckedResultRule
    {
        public static void Report(BodyModel model, SyntaxNode codeBlock, SemanticModel semanticModel, DiagnosticSink sink, CancellationToken cancellationToken)
        {
            foreach ((ImpersonationSite site, UncheckedVerdict verdict) in ResultUse.FindUnchecked(model, codeBlock, semanticModel, cancellationToken))
            {
                // In path order: the impersonation inside a wrapper, then the place that loses its result.
                sink.ReportWithPath(
                    Descriptors.UncheckedResult,
                    site.Operation.Syntax,
                    new[] { site.Inside?.Location, verdict.Place },
                    site.Api.DisplayName,
                    Describe(verdict),
                    CalleeClause.After(site.Inside, CalleeClause.Impersonates, site.Operation.Syntax));
            }
        }

        private static string Describe(UncheckedVerdict verdict)
        {
            string stored = "it is stored in '" + verdict.Local?.Name + "' and ";
            Location? place = verdict.Place;
            return verdict.How switch
            {
                UncheckedResult.Discarded => "it is discarded",
                UncheckedResult.Overwritten => stored + "overwritten at line " + PathPlaces.LineOf(place!) + " before it is read",
                UncheckedResult.OverwrittenInNextIteration => stored + "overwritten in the next iteration of the loop (back edge at line " + PathPlaces.LineOf(place!) + ") before it is read",
                UncheckedResult.NeverRead => stored + "never read" + (place is null ? "" : " before the method returns at line " + PathPlaces.LineOf(place)),
                _ => "its exception is swallowed by the catch at line " + PathPlaces.LineOf(place!) + ", which neither rethrows, throws nor returns",
            };
        }
    }
}
