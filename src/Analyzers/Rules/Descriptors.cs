using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>Every rule's descriptor: ID, title, severity and help link exactly as SPEC §3 fixes them.</summary>
    internal static class Descriptors
    {
        public const string Category = "Security";

        /// <summary>Each rule's page is <c>docs/rules/COMIMPnnn.md</c> in the package's home (RepositoryUrl in Directory.Build.props).</summary>
        public const string HelpLinkBase = RepositoryInfo.Url + "/blob/" + RepositoryInfo.Branch + "/docs/rules/";

        public static readonly DiagnosticDescriptor ImpersonationAfterSignal = Create(
            "COMIMP001",
            "Client impersonated after ISynchronize.Signal",
            "'{0}'{4} is called after '{1}' (line {2}{5}) completed the call{3}; impersonation fails and the code runs as the server",
            DiagnosticSeverity.Warning,
            "After ISynchronize::Signal completes, the asynchronous call's context is gone: the server cannot impersonate the client, even if Begin_ has not returned. The impersonation fails (RPC_E_CALL_COMPLETE) and code meant to run as the client runs as the server.");

        public static readonly DiagnosticDescriptor ImpersonationNotReverted = Create(
            "COMIMP002",
            "Impersonation is not reverted on every path",
            "The impersonation by '{0}'{3} is not reverted on every path: the method returns at line {1} still impersonating{2}, with the impersonated token on the thread",
            DiagnosticSeverity.Warning,
            "A successful impersonation leaves the impersonated token on the thread until it is reverted (RevertToSelf, CoRevertToSelf, RpcRevertToSelf, WindowsImpersonationContext.Undo; in an asynchronous COM call, also when Begin_ returns). A path that returns without reverting lets the code that runs next on this thread act as the impersonated user.");

        public static readonly DiagnosticDescriptor ImpersonationActiveAtSignal = Create(
            "COMIMP003",
            "Impersonation still active when Signal is called",
            "'{0}'{3} is called while the impersonation by '{1}' (line {2}{4}) may still be active; the code after it runs as the client although the call has completed",
            DiagnosticSeverity.Warning,
            "If the server impersonates before ISynchronize::Signal, the token is not removed from the thread until the server calls RevertToSelf or Begin_ returns. Work done after Signal then still runs as the client although the call has completed. Revert before signalling.");

        public static readonly DiagnosticDescriptor UncheckedResult = Create(
            "COMIMP004",
            "Result of impersonation is not checked",
            "The result of '{0}'{2} is not checked ({1}); if the impersonation failed, the code that follows runs as the server",
            DiagnosticSeverity.Warning,
            "Impersonation can fail (for example RPC_E_CALL_COMPLETE after Signal, ERROR_CANNOT_IMPERSONATE, or when the client forbids it). A failed impersonation leaves the thread running as the server (CWE-252, CWE-273): code meant to run with the client's rights runs with the server's. Act on every result: compare it, test Failed/Succeeded or the BOOL, or throw on failure.");

        public static readonly DiagnosticDescriptor ImpersonationInFinish = Create(
            "COMIMP005",
            "Impersonation in a Finish_ method",
            "'{0}' is called in '{1}', which runs after ISynchronize.Signal completed the call; impersonation fails here and the code runs as the server",
            DiagnosticSeverity.Warning,
            "The client calls Finish_ after the server signalled completion. By then the call context is gone and the server cannot impersonate the client: do the work that needs the client's identity in Begin_, before Signal.");

        public static readonly DiagnosticDescriptor ImpersonationOffThread = Create(
            "COMIMP006",
            "Impersonation off the call's thread",
            "'{0}'{2} impersonates {1}",
            DiagnosticSeverity.Warning,
            "CoImpersonateClient, IServerSecurity and RpcImpersonateClient(null) act on the call context of the current thread, which exists only on the thread that dispatches the call. On a worker thread, or after an await resumes elsewhere, impersonation fails or acts on the wrong thread. For every impersonation API, a token active across an await stays on the original thread while the revert runs on another; and WindowsIdentity.RunImpersonated given an async delegate whose Task is dropped leaves impersonated work running unobserved.");

        public static readonly DiagnosticDescriptor RevertNotInFinally = Create(
            "COMIMP007",
            "Revert is not in a finally block",
            "The impersonation by '{0}'{4} is reverted on every normal path, but an exception from '{1}' (line {2}) skips the revert{3} and leaves the impersonated token on the thread; revert in a finally block",
            DiagnosticSeverity.Info,
            "When the revert is not in a finally block (or a using scope's Dispose), an exception thrown between the impersonation and the revert skips it, and the thread goes on running as the impersonated user.");

        public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
            ImpersonationAfterSignal,
            ImpersonationNotReverted,
            ImpersonationActiveAtSignal,
            UncheckedResult,
            ImpersonationInFinish,
            ImpersonationOffThread,
            RevertNotInFinally);

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
