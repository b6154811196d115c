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
            // (a) and (b) only for a call context: an explicit token can be impersonated on any thread.
            if (handoff is not null)
            {
                foreach (ImpersonationSite site in findings.Model.Impersonations)
                {
                    if (site.Api.NeedsDispatchThread)
                    {
                        sink.ReportWithPath(
                            Descriptors.ImpersonationOffThread,
                            site.Operation.Syntax,
                            new[] { HandoffPlace(handoff).GetLocation(), site.Inside?.Location },
                            site.Api.DisplayName,
                            "in a delegate handed to '" + handoff.ApiDisplayName + "' (line " + DiagnosticSink.LineOf(handoff.Call.Syntax) + "), which runs it on another thread" + CallContextOnlyOnItsThread,
                            InsideOf(site));
                    }
                }
            }

            foreach (ImpersonationSite site in findings.ImpersonatedAfterAwait)
            {
                if (site.Api.NeedsDispatchThread)
                {
                    IOperation? awaitBefore = findings.AwaitBefore(site);
                    sink.ReportWithPath(
                        Descriptors.ImpersonationOffThread,
                        site.Operation.Syntax,
                        new[] { awaitBefore?.Syntax.GetLocation(), site.Inside?.Location },
                        site.Api.DisplayName,
                        "after the 'await' at line " + (awaitBefore is null ? DiagnosticSink.LineOf(site.Operation.Syntax) : DiagnosticSink.LineOf(awaitBefore.Syntax))
                            + ", which may resume on another thread" + CallContextOnlyOnItsThread,
                        InsideOf(site));
                }
            }

            // (c) for every family: the token stays on the thread the await leaves.
            foreach ((ImpersonationSite site, IOperation awaitOperation) in findings.ActiveAcrossAwait)
            {
                sink.ReportWithPath(
                    Descriptors.ImpersonationOffThread,
                    site.Operation.Syntax,
                    new[] { site.Inside?.Location, awaitOperation.Syntax.GetLocation() },
                    site.Api.DisplayName,
                    "and stays active across the 'await' at line " + DiagnosticSink.LineOf(awaitOperation.Syntax)
                        + ": the revert may run on another thread while this one keeps the impersonated token"
                        + (site.Api.NeedsDispatchThread ? CallContextOnlyOnItsThread : ""),
                    InsideOf(site));
            }
        }

        /// <summary>(c) for a delegate run impersonated: an async delegate whose Task is dropped.</summary>
        public static void ReportDroppedRuns(BodyModel model, DiagnosticSink sink)
        {
            foreach (DroppedImpersonatedRun run in model.DroppedRuns)
            {
                // The delegate is the runner's last argument.
                SyntaxNode work = run.Call.Arguments.Length > 0 ? run.Call.Arguments[run.Call.Arguments.Length - 1].Syntax : run.Call.Syntax;
                sink.ReportWithPath(
                    Descriptors.ImpersonationOffThread,
                    run.Call.Syntax,
                    new[] { work.GetLocation() },
                    run.Runner.TypeName.Substring(run.Runner.TypeName.LastIndexOf('.') + 1) + "." + run.Runner.MethodName,
                    "around an async delegate (line " + DiagnosticSink.LineOf(work) + ") whose Task is dropped: the work after its first 'await' goes on impersonated on other threads, unobserved, after the call returns; await '"
                        + run.Runner.AsyncMethodName + "' instead",
                    "");
            }
        }

        /// <summary>The hand-off as a path place: the method a call invokes (<c>Task.Run</c>), or the object creation.</summary>
        private static SyntaxNode HandoffPlace(Handoff handoff) =>
            handoff.Call.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax invocation ? invocation.Expression : handoff.Call.Syntax;

        private const string CallContextOnlyOnItsThread = "; the call context exists only on the thread that dispatches the call";

        /// <summary>An ordinary method handed over as a method group, which impersonates in its own body.</summary>
        public static void ReportMethodGroup(Handoff handoff, ImpersonationSite siteInTarget, DiagnosticSink sink)
        {
            sink.ReportWithPath(
                Descriptors.ImpersonationOffThread,
                handoff.Argument,
                new[] { HandoffPlace(handoff).GetLocation(), siteInTarget.Operation.Syntax.GetLocation() },
                handoff.Method!.Name,
                "the client (" + siteInTarget.Api.DisplayName + ", line " + DiagnosticSink.LineOf(siteInTarget.Operation.Syntax)
                    + ") but is handed to '" + handoff.ApiDisplayName + "', which runs it on another thread" + CallContextOnlyOnItsThread,
                "");
        }

        /// <summary>The impersonation inside a wrapper, hand-off or client-identity call, as the message names it.</summary>
        private static string InsideOf(ImpersonationSite site) =>
            CalleeClause.After(site.Inside, CalleeClause.Impersonates, site.Operation.Syntax);
    }
}
