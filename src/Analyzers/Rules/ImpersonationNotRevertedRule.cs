using ComImpersonation.Analyzers.Analysis;

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
                sink.Report(Descriptors.ImpersonationNotReverted, impersonation.Operation.Syntax, impersonation.Api.DisplayName);
            }
        }
    }
}
