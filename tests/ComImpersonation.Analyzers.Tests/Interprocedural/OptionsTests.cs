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
                new DiagnosticResult("COMIMP001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0),
                new DiagnosticResult("COMIMP002", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(1));

        [Fact]
        public Task Options_in_globalconfig_work_too() =>
            RunAsync(
                new[] { InterproceduralTests.Interop, Opaque, Server },
                editorConfig: null,
                "is_global = true\n"
                + "comimp.additional_impersonate_methods = MyCompany.Rpc.ICallerIdentity.Impersonate\n"
                + "comimp.additional_revert_methods = MyCompany.Rpc.ICallerIdentity.Revert\n"
                + "comimp.additional_signal_methods = MyCompany.Rpc.ICallCompletion.Complete\n",
                new DiagnosticResult("COMIMP001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0),
                new DiagnosticResult("COMIMP002", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(1));

        [Fact]
        public Task Severity_none_turns_a_rule_off() =>
            RunAsync(
                new[] { InterproceduralTests.Interop, Opaque, Unmarked },
                "root = true\n\n[*.cs]\n"
                + "comimp.additional_impersonate_methods = MyCompany.Rpc.ICallerIdentity.Impersonate\n"
                + "comimp.additional_revert_methods = MyCompany.Rpc.ICallerIdentity.Revert\n"
                + "dotnet_diagnostic.COMIMP002.severity = none\n");

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
