using ComImpersonation.Analyzers.Analysis;

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
                    sink.Report(Descriptors.RevertNotInFinally, site.Operation.Syntax, site.Api.DisplayName);
                }
            }
        }
    }
}
