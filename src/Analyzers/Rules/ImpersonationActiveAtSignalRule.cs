using ComImpersonation.Analyzers.Analysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>COMIMP003: a signal that may run while the thread is impersonating, reported at the signal.</summary>
    internal static class ImpersonationActiveAtSignalRule
    {
        public static void Report(BodyFindings findings, DiagnosticSink sink)
        {
            foreach ((SignalSite signal, ImpersonationSite impersonation) in findings.SignalledWhileImpersonating)
            {
                if (!impersonation.Api.IsComCallContext)
                {
                    continue; // the Signal rules are about the COM call context only (COMIMP002 still asks for the revert)
                }

                sink.Report(
                    Descriptors.ImpersonationActiveAtSignal,
                    signal.Operation.Syntax,
                    impersonation.Operation.Syntax,
                    signal.DisplayName,
                    impersonation.Api.DisplayName,
                    DiagnosticSink.LineOf(impersonation.Operation.Syntax));
            }
        }
    }
}
