using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

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

                // In path order: the impersonation first (the code fix uses it) and the one inside it when it is a
                // wrapper, then the signal inside a signal wrapper.
                SyntaxNode reportedAt = signal.Operation.Syntax;
                sink.ReportWithPath(
                    Descriptors.ImpersonationActiveAtSignal,
                    reportedAt,
                    new[] { impersonation.Operation.Syntax.GetLocation(), impersonation.Inside?.Location, signal.Inside?.Location },
                    signal.DisplayName,
                    impersonation.Api.DisplayName,
                    DiagnosticSink.LineOf(impersonation.Operation.Syntax),
                    CalleeClause.After(signal.Inside, CalleeClause.Signals, reportedAt),
                    CalleeClause.Within(impersonation.Inside, CalleeClause.Impersonates, reportedAt));
            }
        }
    }
}
