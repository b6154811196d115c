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
                    // The first call that can throw while it is active, then the revert that exception skips.
                    SyntaxNode thrower = findings.ThrowerOf(site) ?? site.Operation.Syntax;
                    SyntaxNode? revert = findings.RevertAfter(thrower);
                    sink.ReportWithPath(
                        Descriptors.RevertNotInFinally,
                        site.Operation.Syntax,
                        new[] { thrower.GetLocation(), revert?.GetLocation() },
                        site.Api.DisplayName,
                        PathPlaces.Text(thrower),
                        DiagnosticSink.LineOf(thrower),
                        revert is null ? "" : " at line " + DiagnosticSink.LineOf(revert));
                }
            }
        }
    }
}
