using ComImpersonation.Analyzers.Analysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// COMIMP002: a successful impersonation that a normal return may leave on the thread, reported at the
    /// impersonation. Failure branches are already excluded by the analysis; impersonation wrappers hand the
    /// impersonation to their callers and are exempt.
    /// </summary>
    internal static class ImpersonationNotRevertedRule
    {
        public static void Report(BodyFindings findings, DiagnosticSink sink)
        {
            if (findings.IsImpersonationWrapper)
            {
                return;
            }

            foreach (ImpersonationSite impersonation in findings.ActiveAtNormalExit)
            {
                sink.Report(Descriptors.ImpersonationNotReverted, impersonation.Operation.Syntax, impersonation.Api.DisplayName);
            }
        }
    }
}
