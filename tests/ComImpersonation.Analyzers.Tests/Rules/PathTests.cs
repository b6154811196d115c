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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), ""));
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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), ""));
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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), " (and at 2 more exits)"));
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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), ""));
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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), ""));
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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), ""));
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
                    .WithArguments(f.ImpersonateName, Line(source, "{|#1:"), ""));
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
                    .WithArguments(f.ImpersonateName, "Work()", Line(source, "{|#1:"), " at line " + Line(source, "{|#2:")));
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
                    .WithArguments(f.ImpersonateName, "Work()", Line(source, "{|#1:"), " at line " + Line(source, "{|#2:")));
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
                    .WithArguments(f.ImpersonateName, "throw new System.InvalidOperationExce…", Line(source, "{|#1:"), " at line " + Line(source, "{|#2:")));
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
                    .WithArguments(f.ImpersonateName, f.SignalName, Line(source, "{|#1:"), " in an earlier iteration of the loop (back edge at line " + Line(source, "{|#2:") + ")"));
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
                    .WithArguments(f.ImpersonateName, f.SignalName, Line(source, "{|#1:"), " in an earlier iteration of the loop (back edge at line " + Line(source, "{|#2:") + ")"));
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
                    .WithArguments(f.SignalName, f.ImpersonateName, Line(source, "{|#1:")),
                new DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(2).WithLocation(3).WithLocation(4)
                    .WithArguments(f.ImpersonateName, "Work()", Line(source, "{|#3:"), " at line " + Line(source, "{|#4:")));
        }
    }
}
