using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>COMIMP001: an impersonation that may run after the call was signalled, reported at the impersonation.</summary>
    internal static class ImpersonationAfterSignalRule
    {
        public static void Report(BodyFindings findings, DiagnosticSink sink)
        {
            foreach ((ImpersonationSite impersonation, SignalSite signal) in findings.ImpersonatedAfterSignal)
            {
                if (!impersonation.Api.IsComCallContext)
                {
                    continue; // an explicit token does not depend on the call Signal completes
                }

                // Signal first (the code fixes use it), then the loop's back edge when the signal is in an earlier iteration.
                Location? backEdge = PathPlaces.BackEdgeBetween(signal.Operation.Syntax, impersonation.Operation.Syntax);
                sink.ReportWithPath(
                    Descriptors.ImpersonationAfterSignal,
                    impersonation.Operation.Syntax,
                    new[] { signal.Operation.Syntax.GetLocation(), backEdge },
                    impersonation.Api.DisplayName,
                    signal.DisplayName,
                    DiagnosticSink.LineOf(signal.Operation.Syntax),
                    backEdge is null ? "" : " in an earlier iteration of the loop (back edge at line " + PathPlaces.LineOf(backEdge) + ")");
            }
        }
    }
}
