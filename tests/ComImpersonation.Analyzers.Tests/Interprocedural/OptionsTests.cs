using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Interprocedural
{
    /// <summary>SPEC §5: methods the analysis cannot see into, named in .editorconfig or .globalconfig.</summary>
    public class OptionsTests
    {
        private const string Opaque = @"
namespace MyCompany.Rpc
{
    public interface ICallCompletion { void Complete(int hr); }
    public interface ICallerIdentity { int Impersonate(); void Revert(); }
}";

        private const string Server = @"
using MyCompany.Rpc;

class Server
{
    private ICallCompletion _completion;
    private ICallerIdentity _identity;

    public void Begin_Work()
    {
        _completion.Complete(0);
        if ({|#0:_identity.Impersonate()|} < 0) return;
        try { Work.Do(); } finally { _identity.Revert(); }
    }

    public void Begin_NoRevert()
    {
        if ({|#1:_identity.Impersonate()|} < 0) return;
        Work.Do();
    }
}";

        private static string Unmarked => Server.Replace("{|#0:", "").Replace("{|#1:", "").Replace("()|}", "()");

        [Fact]
        public Task Without_options_the_interfaces_are_opaque() =>
            RunAsync(new[] { InterproceduralTests.Interop, Opaque, Unmarked }, editorConfig: null);

        [Fact]
        public Task Options_in_editorconfig_name_impersonate_revert_and_signal_methods() =>
            RunAsync(
                new[] { InterproceduralTests.Interop, Opaque, Server },
                "root = true\n\n[*.cs]\n"
                + "comimp.additional_impersonate_methods = MyCompany.Rpc.ICallerIdentity.Impersonate\n"
                + "comimp.additional_revert_methods = MyCompany.Rpc.ICallerIdentity.Revert\n"
                + "comimp.additional_signal_methods = MyCompany.Rpc.ICallCompletion.Complete\n",
                globalConfig: null,
                Verify.Diagnostic("COMIMP001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0),
                Verify.Diagnostic("COMIMP002", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(1));

        [Fact]
        public Task Options_in_globalconfig_work_too() =>
            RunAsync(
                new[] { InterproceduralTests.Interop, Opaque, Server },
                editorConfig: null,
                "is_global = true\n"
                + "comimp.additional_impersonate_methods = MyCompany.Rpc.ICallerIdentity.Impersonate\n"
                + "comimp.additional_revert_methods = MyCompany.Rpc.ICallerIdentity.Revert\n"
                + "comimp.additional_signal_methods = MyCompany.Rpc.ICallCompletion.Complete\n",
                Verify.Diagnostic("COMIMP001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0),
                Verify.Diagnostic("COMIMP002", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(1));

        [Fact]
        public Task Severity_none_turns_a_rule_off() =>
            RunAsync(
                new[] { InterproceduralTests.Interop, Opaque, Unmarked },
                "root = true\n\n[*.cs]\n"
                + "comimp.additional_impersonate_methods = MyCompany.Rpc.ICallerIdentity.Impersonate\n"
                + "comimp.additional_revert_methods = MyCompany.Rpc.ICallerIdentity.Revert\n"
                + "dotnet_diagnostic.COMIMP002.severity = none\n");

        [Fact]
        public Task Methods_of_abstract_and_virtual_types_can_be_named()
        {
            // CallBase.Done is abstract and CallBase.Revert virtual: opaque unless named. Named, they count.
            const string source = @"
namespace MyCompany.Rpc
{
    public abstract class CallBase
    {
        public abstract void Done(int hr);
        public virtual int Impersonate() => 0;
        public virtual void Revert() { }
    }

    class Server
    {
        private CallBase _call;
        private ISynchronize _sync;

        public void Begin_SignalledThroughAbstract()
        {
            _call.Done(0);
            if ({|#0:Ole32.CoImpersonateClient()|} < 0) return;
            try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
        }

        public void Begin_RevertedThroughVirtual()
        {
            if ({|#1:_call.Impersonate()|} < 0) return;
            try { Work.Do(); } finally { _call.Revert(); }
            {|#2:_sync.Signal()|};
        }
    }
}";
            string unmarked = source.Replace("{|#0:", "").Replace("{|#1:", "").Replace("{|#2:", "").Replace(")|}", ")");
            return Task.WhenAll(
                RunAsync(new[] { InterproceduralTests.Interop, unmarked }, editorConfig: null),
                RunAsync(
                    new[] { InterproceduralTests.Interop, source },
                    "root = true\n\n[*]\ncomimp.additional_signal_methods = MyCompany.Rpc.CallBase.Done\n",
                    Verify.Diagnostic("COMIMP001").WithLocation(0)),
                // Impersonate named but Revert not: the virtual revert is opaque, so the impersonation is never
                // reverted (COMIMP002) and still active at the signal (COMIMP003).
                RunAsync(
                    new[] { InterproceduralTests.Interop, source },
                    "root = true\n\n[*]\ncomimp.additional_impersonate_methods = MyCompany.Rpc.CallBase.Impersonate\n",
                    Verify.Diagnostic("COMIMP002").WithLocation(1),
                    Verify.Diagnostic("COMIMP003").WithLocation(2)),
                RunAsync(
                    new[] { InterproceduralTests.Interop, source },
                    editorConfig: null,
                    "is_global = true\n"
                    + "comimp.additional_impersonate_methods = MyCompany.Rpc.CallBase.Impersonate\n"
                    + "comimp.additional_revert_methods = global::MyCompany.Rpc.CallBase.Revert\n"));
        }

        [Fact]
        public Task Severity_none_in_editorconfig_only_removes_that_rule()
        {
            // Without the severity line the same code has COMIMP002 (see the editorconfig test above); COMIMP001 stays.
            string source = Server.Replace("{|#1:_identity.Impersonate()|}", "_identity.Impersonate()");
            return RunAsync(
                new[] { InterproceduralTests.Interop, Opaque, source },
                "root = true\n\n[*]\n"
                + "comimp.additional_impersonate_methods = MyCompany.Rpc.ICallerIdentity.Impersonate\n"
                + "comimp.additional_revert_methods = MyCompany.Rpc.ICallerIdentity.Revert\n"
                + "comimp.additional_signal_methods = MyCompany.Rpc.ICallCompletion.Complete\n"
                + "dotnet_diagnostic.COMIMP002.severity = none\n",
                Verify.Diagnostic("COMIMP001").WithLocation(0));
        }

        internal static Task RunAsync(string[] sources, string? editorConfig, params DiagnosticResult[] expected) =>
            RunAsync(sources, editorConfig, globalConfig: null, expected);

        internal static Task RunAsync(string[] sources, string? editorConfig, string? globalConfig, params DiagnosticResult[] expected)
        {
            var test = new Verify.AnalyzerTest();
            foreach (string source in sources)
            {
                test.TestState.Sources.Add(source);
            }

            if (editorConfig is not null)
            {
                test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", editorConfig));
            }

            if (globalConfig is not null)
            {
                test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", globalConfig));
            }

            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync(CancellationToken.None);
        }
    }
}
