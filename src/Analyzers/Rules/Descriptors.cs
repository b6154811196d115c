using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>Every rule's descriptor: ID, title, severity and help link exactly as SPEC §3 fixes them.</summary>
    internal static class Descriptors
    {
        public const string Category = "Security";

        /// <summary>Each rule's page is <c>docs/rules/COMIMPnnn.md</c> in the repository.</summary>
        public const string HelpLinkBase = "https://github.com/ComImpersonation/ComImpersonation.Analyzers/blob/main/docs/rules/";

        public static readonly DiagnosticDescriptor ImpersonationAfterSignal = Create(
            "COMIMP001",
            "Client impersonated after ISynchronize.Signal",
            "'{0}' is called after '{1}' (line {2}) completed the call; impersonation fails and the code runs as the server",
            DiagnosticSeverity.Warning,
            "After ISynchronize::Signal completes, the asynchronous call's context is gone: the server cannot impersonate the client, even if Begin_ has not returned. The impersonation fails (RPC_E_CALL_COMPLETE) and code meant to run as the client runs as the server.");

        public static readonly DiagnosticDescriptor ImpersonationNotReverted = Create(
            "COMIMP002",
            "Impersonation is not reverted on every path",
            "The impersonation by '{0}' is not reverted on every path; the method can return with the client's token still on the thread",
            DiagnosticSeverity.Warning,
            "A successful impersonation leaves the client's token on the thread until RevertToSelf (or, in an asynchronous call, until Begin_ returns). A path that returns without reverting lets the code that runs next on this thread act as the client.");

        public static readonly DiagnosticDescriptor ImpersonationActiveAtSignal = Create(
            "COMIMP003",
            "Impersonation still active when Signal is called",
            "'{0}' is called while the impersonation by '{1}' (line {2}) may still be active; the code after it runs as the client although the call has completed",
            DiagnosticSeverity.Warning,
            "If the server impersonates before ISynchronize::Signal, the token is not removed from the thread until the server calls RevertToSelf or Begin_ returns. Work done after Signal then still runs as the client although the call has completed. Revert before signalling.");

        public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
            ImpersonationAfterSignal,
            ImpersonationNotReverted,
            ImpersonationActiveAtSignal);

        private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, string description) =>
            new DiagnosticDescriptor(
                id,
                title,
                message,
                Category,
                severity,
                isEnabledByDefault: true,
                description: description,
                helpLinkUri: HelpLinkBase + id + ".md");
    }
}
