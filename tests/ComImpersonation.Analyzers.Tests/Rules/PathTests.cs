using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// SPEC §3 "Every finding explains itself": each message names the path that makes the finding a bug, with
    /// lines, and the diagnostic carries the places of that path as additional locations, in path order. These tests
    /// assert both exactly, in the shapes where the path differs.
    /// </summary>
    public class PathTests
    {
        private static readonly Flavour Ole32 = Flavours.Get("DllImport.ole32");

        private static Task VerifyAsync(string source, params DiagnosticResult[] expected) =>
            Verify.AnalyzerAsync(Ole32.Sources(source), expected);

        private static int Line(string source, string marker) => Flavours.LineOf(source, marker);

        /// <summary>Marks the closing brace of <c>Begin_Work</c> (the last method of the call object) as location <paramref name="id"/>.</summary>
        private static string MarkMethodEnd(string source, int id)
        {
            string end = source.Contains("\r\n") ? "\r\n    }\r\n" : "\n    }\n";
            int at = source.LastIndexOf(end, System.StringComparison.Ordinal);
            return source.Substring(0, at) + end.Replace("}", "{|#" + id + ":}|}") + source.Substring(at + end.Length);
        }

        // ---------------------------------------------------------------------------------------------
        // COMIMP002: the exit that leaks
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task COMIMP002_names_an_early_return()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                if (_flag)
                {
                    {|#1:return;|}
                }

                try { Work(); } finally { {{f.RevertStatement}} }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), "", ""));
        }

        [Fact]
        public Task COMIMP002_names_the_end_of_the_method()
        {
            Flavour f = Ole32;
            string source = MarkMethodEnd(f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                if (_flag)
                {
                    {{f.RevertStatement}}
                    return;
                }

                Work();
                """), 1);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), "", ""));
        }

        [Fact]
        public Task COMIMP002_names_the_first_exit_and_counts_the_others()
        {
            Flavour f = Ole32;
            string source = MarkMethodEnd(f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                if (_flag)
                {
                    {|#1:return;|}
                }

                if (_mode == 1)
                {
                    Work();
                    {|#2:return;|}
                }

                Work();
                """), 3);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), " (and at 2 more exits)", ""));
        }

        [Fact]
        public Task COMIMP002_names_a_return_whose_finally_does_not_revert()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                try
                {
                    if (_flag)
                    {
                        {|#1:return;|}
                    }

                    Work();
                }
                finally
                {
                    Work();
                }

                {{f.RevertStatement}}
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), "", ""));
        }

        [Fact]
        public Task COMIMP002_does_not_name_a_return_whose_finally_reverts()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                if (_mode == 2)
                {
                    {|#1:return;|}
                }

                try
                {
                    if (_flag)
                    {
                        return;
                    }

                    Work();
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), "", ""));
        }

        [Fact]
        public Task COMIMP002_names_a_return_with_a_value()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                "",
                $$"""
                    public int Compute()
                    {
                        int hr = {{f.Imp("#0")}};
                        if (hr < 0)
                        {
                            return hr;
                        }

                        Work();
                        if (_flag)
                        {
                            {|#1:return _mode;|}
                        }

                        {{f.RevertStatement}}
                        return _mode + 1;
                    }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), "", ""));
        }

        [Fact]
        public Task COMIMP002_in_a_lambda_names_the_lambda_s_return_not_the_enclosing_one()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                "",
                $$"""
                    public System.Func<int> Make()
                    {
                        return () =>
                        {
                            int hr = {{f.Imp("#0")}};
                            if (hr < 0)
                            {
                                return hr;
                            }

                            Work();
                            {|#1:return _mode;|}
                        };
                    }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), "", ""));
        }

        // ---------------------------------------------------------------------------------------------
        // COMIMP007: the call whose exception skips the revert
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task COMIMP007_names_the_first_call_that_can_throw_and_the_revert_it_skips()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                {|#1:Work()|};
                Work();
                {|#2:{{f.Revert}}|};
                """);
            return VerifyAsync(
                source,
                new DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, "Work()", Line(source, "{|#1:"), " at line " + Line(source, "{|#2:"), ""));
        }

        [Fact]
        public Task COMIMP007_skips_a_call_whose_exception_a_catch_of_everything_takes()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                try { Work(); } catch (System.Exception) { }
                try { {|#1:Work()|}; } catch (System.IO.IOException) { }
                {|#2:{{f.Revert}}|};
                """);
            return VerifyAsync(
                source,
                new DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, "Work()", Line(source, "{|#1:"), " at line " + Line(source, "{|#2:"), ""));
        }

        [Fact]
        public Task COMIMP007_names_a_throw_statement()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                if (_flag)
                {
                    {{f.RevertStatement}}
                    return;
                }

                if (_mode == 3)
                {
                    {|#1:throw new System.InvalidOperationException();|}
                }

                {|#2:{{f.Revert}}|};
                """);
            return VerifyAsync(
                source,
                new DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, "throw new System.InvalidOperationExce…", Line(source, "{|#1:"), " at line " + Line(source, "{|#2:"), ""));
        }

        // ---------------------------------------------------------------------------------------------
        // COMIMP001: the signal, and the loop's back edge
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task COMIMP001_names_the_back_edge_when_the_signal_is_in_an_earlier_iteration()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                for (int i = 0; i < 3; i++)
                {
                    {{f.ImpersonateChecked(f.Imp("#0"))}}
                    try { Work(); } finally { {{f.RevertStatement}} }
                    if (_flag)
                    {
                        {{f.Sig("#1")}};
                    }
                {|#2:}|}
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP001").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, f.SignalName, Line(source, "{|#1:"), " in an earlier iteration of the loop (back edge at line " + Line(source, "{|#2:") + ")", "", ""));
        }

        [Fact]
        public Task COMIMP001_names_the_while_of_a_do_loop()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                do
                {
                    {{f.ImpersonateChecked(f.Imp("#0"))}}
                    try { Work(); } finally { {{f.RevertStatement}} }
                    {{f.Sig("#1")}};
                }
                {|#2:while|} (_flag);
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP001").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, f.SignalName, Line(source, "{|#1:"), " in an earlier iteration of the loop (back edge at line " + Line(source, "{|#2:") + ")", "", ""));
        }

        // ---------------------------------------------------------------------------------------------
        // COMIMP003: the impersonation
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task COMIMP003_names_the_impersonation()
        {
            Flavour f = Ole32;
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#1", "#2"))}}
                {|#3:Work()|};
                {{f.Sig("#0")}};
                try { Work(); } finally { {|#4:{{f.Revert}}|}; }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP003").WithLocation(0).WithLocation(1)
                    .WithArguments(f.SignalName, f.ImpersonateName, Line(source, "{|#1:"), "", ""),
                new DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(2).WithLocation(3).WithLocation(4)
                    .WithArguments(f.ImpersonateName, "Work()", Line(source, "{|#3:"), " at line " + Line(source, "{|#4:"), ""));
        }

        // ---------------------------------------------------------------------------------------------
        // Wrappers and hand-offs: the place inside the callee
        // ---------------------------------------------------------------------------------------------

        /// <summary>An impersonation wrapper that only starts the impersonation (SPEC §2 hand-off 3), its impersonation marked <c>#1</c>.</summary>
        private static string BeginImpersonation(Flavour f) => $$"""
                private void BeginImpersonation()
                {
                    {{f.ImpersonateOrThrow(f.Imp("#1"))}}
                }
            """;

        private static string Impersonates(string api, int line) => " (which impersonates with '" + api + "' at line " + line + ")";

        [Fact]
        public Task COMIMP002_through_a_hand_off_names_the_impersonation_inside_it_then_the_exit()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                $$"""
                {|#0:BeginImpersonation()|};
                if (_flag)
                {
                    {|#2:return;|}
                }

                try { Work(); } finally { {{f.RevertStatement}} }
                """,
                BeginImpersonation(f));
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments("BeginImpersonation", Line(source, "{|#2:"), "", Impersonates(f.ImpersonateName, Line(source, "{|#1:"))));
        }

        /// <summary>Through nested wrappers (within the depth limit) the innermost recognised call is named.</summary>
        [Fact]
        public Task COMIMP002_through_nested_wrappers_names_the_innermost_call()
        {
            Flavour f = Ole32;
            string source = MarkMethodEnd(
                f.CallObject(
                    """
                    {|#0:Impersonate()|};
                    Work();
                    """,
                    BeginImpersonation(f) + """

                        private void Impersonate() => BeginImpersonation();
                    """),
                2);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments("Impersonate", Line(source, "{|#2:"), "", Impersonates(f.ImpersonateName, Line(source, "{|#1:"))));
        }

        /// <summary>A callee in another file of the compilation (a partial type's other part) is named with its file.</summary>
        [Fact]
        public Task COMIMP002_names_a_callee_in_another_file_with_the_file()
        {
            Flavour f = Ole32;
            string source = MarkMethodEnd(
                f.CallObject(
                    """
                    {|#0:BeginImpersonation()|};
                    Work();
                    """).Replace("class CallObject", "partial class CallObject", System.StringComparison.Ordinal),
                2);
            string otherPart = "partial class CallObject\n{\n" + BeginImpersonation(f) + "\n}\n";
            string[] sources = Ole32.Sources(source, otherPart);
            return Verify.AnalyzerAsync(
                sources,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(
                        "BeginImpersonation",
                        Line(source, "{|#2:"),
                        "",
                        " (which impersonates with '" + f.ImpersonateName + "' at line " + Line(otherPart, "{|#1:") + " of Test" + (sources.Length - 1) + ".cs)"));
        }

        /// <summary>Generated code (here marked <c>[GeneratedCode]</c>, as CsWin32 marks its friendly overloads) is the API as the user sees it: nothing inside is named.</summary>
        [Fact]
        public Task COMIMP004_does_not_name_a_place_inside_generated_code()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                $$"""
                {|#0:ImpersonateCaller()|};
                try { Work(); } finally { {{f.RevertStatement}} }
                """,
                $$"""
                    [System.CodeDom.Compiler.GeneratedCode("Tool", "1.0")]
                    private int ImpersonateCaller() => {{f.Impersonate}};
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP004").WithLocation(0).WithArguments("ImpersonateCaller", "it is discarded", ""));
        }

        [Fact]
        public Task COMIMP004_through_a_wrapper_names_the_impersonation_inside_it_then_the_loss()
        {
            Flavour f = Ole32;
            string source = MarkMethodEnd(
                f.CallObject(
                    $$"""
                    var hr = {|#0:ImpersonateCaller()|};
                    try { Work(); } finally { {{f.RevertStatement}} }
                    """,
                    $$"""
                        private int ImpersonateCaller() => {{f.Imp("#1")}};
                    """),
                2);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP004").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(
                        "ImpersonateCaller",
                        "it is stored in 'hr' and never read before the method returns at line " + Line(source, "{|#2:"),
                        Impersonates(f.ImpersonateName, Line(source, "{|#1:"))));
        }

        [Fact]
        public Task COMIMP007_through_wrappers_names_the_impersonation_inside_the_thrower_the_revert_and_the_revert_inside()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                """
                {|#0:BeginImpersonation()|};
                {|#2:Work()|};
                {|#3:EndImpersonation()|};
                """,
                BeginImpersonation(f) + $$"""

                    private void EndImpersonation()
                    {
                        {|#4:{{f.Revert}}|};
                    }
                """);
            return VerifyAsync(
                source,
                new DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3).WithLocation(4)
                    .WithArguments(
                        "BeginImpersonation",
                        "Work()",
                        Line(source, "{|#2:"),
                        " at line " + Line(source, "{|#3:") + " (which reverts with 'CoRevertToSelf' at line " + Line(source, "{|#4:") + ")",
                        Impersonates(f.ImpersonateName, Line(source, "{|#1:"))));
        }

        /// <summary>
        /// A client-identity call after a signal wrapper: the signal call, the signal inside the wrapper, then the
        /// impersonation inside the client-identity call.
        /// </summary>
        [Fact]
        public Task COMIMP001_through_a_signal_wrapper_and_a_client_identity_call_names_both_places_inside()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                """
                {|#1:Complete()|};
                {|#0:DeleteAsClient()|};
                """,
                $$"""
                    private void Complete()
                    {
                        {{f.Sig("#2")}};
                    }

                    private void DeleteAsClient()
                    {
                        var hr = {{f.Imp("#3")}};
                        if (hr != 0) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP001").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3)
                    .WithArguments(
                        "DeleteAsClient",
                        "Complete",
                        Line(source, "{|#1:"),
                        "",
                        Impersonates(f.ImpersonateName, Line(source, "{|#3:")),
                        ", which signals with '" + f.SignalName + "' at line " + Line(source, "{|#2:")));
        }

        [Fact]
        public Task COMIMP003_through_a_hand_off_and_a_signal_wrapper_names_both_places_inside()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                $$"""
                {|#2:BeginImpersonation()|};
                try { {|#0:Complete()|}; } finally { {{f.RevertStatement}} }
                """,
                BeginImpersonation(f) + $$"""

                    private void Complete()
                    {
                        {{f.Sig("#3")}};
                    }
                """);

            // The impersonation first (the code fix uses it), the impersonation inside it, the signal inside the wrapper.
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP003").WithLocation(0).WithLocation(2).WithLocation(1).WithLocation(3)
                    .WithArguments(
                        "Complete",
                        "BeginImpersonation",
                        Line(source, "{|#2:"),
                        " (which signals with '" + f.SignalName + "' at line " + Line(source, "{|#3:") + ")",
                        ", which impersonates with '" + f.ImpersonateName + "' at line " + Line(source, "{|#1:")));
        }

        [Fact]
        public Task COMIMP006_through_a_client_identity_call_names_the_hand_off_then_the_impersonation_inside()
        {
            Flavour f = Ole32;
            string source = f.CallObject(
                """
                {|#1:System.Threading.Tasks.Task.Run|}(() => {|#0:DeleteAsClient()|});
                """,
                $$"""
                    private void DeleteAsClient()
                    {
                        var hr = {{f.Imp("#2")}};
                        if (hr != 0) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
            return VerifyAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP006").WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(
                        "DeleteAsClient",
                        "in a delegate handed to 'Task.Run' (line " + Line(source, "{|#1:") + "), which runs it on another thread" + Comimp006Tests.CallContextNote,
                        Impersonates(f.ImpersonateName, Line(source, "{|#2:"))));
        }
    }
}
