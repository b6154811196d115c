using ComImpersonation.Analyzers.Analysis;

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

                sink.Report(
                    Descriptors.ImpersonationAfterSignal,
                    impersonation.Operation.Syntax,
                    signal.Operation.Syntax,
                    impersonation.Api.DisplayName,
                    signal.DisplayName,
                    DiagnosticSink.LineOf(signal.Operation.Syntax));
            }
        }
    }
}
