using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// COMIMP006: impersonation where the call context is not: (a) in a delegate handed to another thread,
    /// (b) after an <c>await</c>, (c) active across an <c>await</c>. Reported at the impersonation; for an ordinary
    /// method handed over as a method group, at the method group (the call that makes it run elsewhere).
    /// </summary>
    internal static class ImpersonationOffThreadRule
    {
        public static void Report(BodyFindings findings, Handoff? handoff, DiagnosticSink sink)
        {
            if (handoff is not null)
            {
                foreach (ImpersonationSite site in findings.Model.Impersonations)
                {
                    sink.Report(
                        Descriptors.ImpersonationOffThread,
                        site.Operation.Syntax,
                        site.Api.DisplayName,
                        "in a delegate handed to '" + handoff.ApiDisplayName + "', which runs it on another thread");
                }
            }

            foreach (ImpersonationSite site in findings.ImpersonatedAfterAwait)
            {
                sink.Report(
                    Descriptors.ImpersonationOffThread,
                    site.Operation.Syntax,
                    site.Api.DisplayName,
                    "after an 'await', which may resume on another thread");
            }

            foreach ((ImpersonationSite site, IOperation awaitOperation) in findings.ActiveAcrossAwait)
            {
                sink.Report(
                    Descriptors.ImpersonationOffThread,
                    site.Operation.Syntax,
                    site.Api.DisplayName,
                    "and stays active across the 'await' at line " + DiagnosticSink.LineOf(awaitOperation.Syntax)
                        + ": the revert may run on another thread while this one keeps the client's token");
            }
        }

        /// <summary>An ordinary method handed over as a method group, which impersonates in its own body.</summary>
        public static void ReportMethodGroup(Handoff handoff, ImpersonationSite siteInTarget, DiagnosticSink sink)
        {
            sink.Report(
                Descriptors.ImpersonationOffThread,
                handoff.Argument,
                handoff.Method!.Name,
                "the client (" + siteInTarget.Api.DisplayName + ", line " + DiagnosticSink.LineOf(siteInTarget.Operation.Syntax)
                    + ") but is handed to '" + handoff.ApiDisplayName + "', which runs it on another thread");
        }
    }
}
