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

                // In path order: the signal first (the code fixes use it) and the signal inside it when it is a wrapper,
                // the loop's back edge when the signal is in an earlier iteration, the impersonation inside a wrapper.
                SyntaxNode reportedAt = impersonation.Operation.Syntax;
                Location? backEdge = PathPlaces.BackEdgeBetween(signal.Operation.Syntax, reportedAt);
                sink.ReportWithPath(
                    Descriptors.ImpersonationAfterSignal,
                    reportedAt,
                    new[] { signal.Operation.Syntax.GetLocation(), signal.Inside?.Location, backEdge, impersonation.Inside?.Location },
                    impersonation.Api.DisplayName,
                    signal.DisplayName,
                    DiagnosticSink.LineOf(signal.Operation.Syntax),
                    backEdge is null ? "" : " in an earlier iteration of the loop (back edge at line " + PathPlaces.LineOf(backEdge) + ")",
                    CalleeClause.After(impersonation.Inside, CalleeClause.Impersonates, reportedAt),
                    CalleeClause.Within(signal.Inside, CalleeClause.Signals, reportedAt));
            }
        }
    }
}
