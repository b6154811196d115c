using ComImpersonation.Analyzers.Analysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// COMIMP007: every normal path reverts, but an exception can leave the method with the impersonation active.
    /// Not where COMIMP002 already reports (a normal path that does not revert), nor in impersonation wrappers.
    /// </summary>
    internal static class RevertNotInFinallyRule
    {
        public static void Report(BodyFindings findings, DiagnosticSink sink)
        {
            if (findings.IsImpersonationWrapper || !findings.Model.HasRevert)
            {
                return;
            }

            foreach (ImpersonationSite site in findings.ActiveAtExceptionalExit)
            {
                if (!findings.ActiveAtNormalExit.Contains(site))
                {
                    sink.Report(Descriptors.RevertNotInFinally, site.Operation.Syntax, site.Api.DisplayName);
                }
            }
        }
    }
}
