using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// COMIMP007: every normal path reverts, but an exception can leave the method with the impersonation active.
    /// Not where COMIMP002 already reports (a normal path that does not revert), nor for an impersonation that a
    /// path hands to the caller (SPEC §2: the caller ends it).
    /// </summary>
    internal static class RevertNotInFinallyRule
    {
        public static void Report(BodyFindings findings, DiagnosticSink sink)
        {
            if (!findings.Reverts)
            {
                return;
            }

            foreach (ImpersonationSite site in findings.ActiveAtExceptionalExit)
            {
                if (!findings.ActiveAtNormalExit.Contains(site) && !findings.HandedOff.Contains(site.Index))
                {
                    // In path order: the impersonation inside a wrapper, the first call that can throw while it is
                    // active, the revert that exception skips and the revert inside it when it is a wrapper.
                    SyntaxNode reportedAt = site.Operation.Syntax;
                    SyntaxNode thrower = findings.ThrowerOf(site) ?? reportedAt;
                    IOperation? revert = findings.RevertAfter(thrower);
                    CalleePlace? revertInside = revert is null ? null : findings.Model.RevertSiteOf(revert)?.Inside;
                    sink.ReportWithPath(
                        Descriptors.RevertNotInFinally,
                        reportedAt,
                        new[] { site.Inside?.Location, thrower.GetLocation(), revert?.Syntax.GetLocation(), revertInside?.Location },
                        site.Api.DisplayName,
                        PathPlaces.Text(thrower),
                        DiagnosticSink.LineOf(thrower),
                        revert is null ? "" : " at line " + DiagnosticSink.LineOf(revert.Syntax) + CalleeClause.After(revertInside, CalleeClause.Reverts, reportedAt),
                        CalleeClause.After(site.Inside, CalleeClause.Impersonates, reportedAt));
                }
            }
        }
    }
}
