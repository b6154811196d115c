using System.Collections.Generic;
using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// COMIMP002: a successful impersonation that a normal return may leave on the thread, reported at the
    /// impersonation. Failure branches are already excluded by the analysis, and so are the paths that hand the
    /// impersonation to the caller (SPEC §2): what is still active at the exit leaks.
    /// </summary>
    internal static class ImpersonationNotRevertedRule
    {
        public static void Report(BodyFindings findings, DiagnosticSink sink)
        {
            foreach (ImpersonationSite impersonation in findings.ActiveAtNormalExit)
            {
                // The exits that leak, in source order: the message names the first and counts the others.
                IReadOnlyList<Location> exits = findings.ExitsOf(impersonation);
                Location first = exits.Count > 0 ? exits[0] : findings.Model.Graph.OriginalOperation.Syntax.GetLastToken().GetLocation();
                int more = exits.Count - 1;

                // In path order: the impersonation inside a wrapper or hand-off, then the exits.
                var path = new List<Location?> { impersonation.Inside?.Location };
                path.AddRange(exits.Count > 0 ? exits : new[] { first });
                sink.ReportWithPath(
                    Descriptors.ImpersonationNotReverted,
                    impersonation.Operation.Syntax,
                    path,
                    impersonation.Api.DisplayName,
                    PathPlaces.LineOf(first),
                    more <= 0 ? "" : more == 1 ? " (and at 1 more exit)" : " (and at " + more + " more exits)",
                    CalleeClause.After(impersonation.Inside, CalleeClause.Impersonates, impersonation.Operation.Syntax));
            }
        }
    }
}
