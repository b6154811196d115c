using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// Huge and deeply nested methods (SPEC §6: analysis time grows linearly with method size). Each test asserts
    /// the exact diagnostics through the testing library (which also fails on AD0001) within a time limit that a
    /// linear analysis meets many times over; the quadratic analysis these tests were written against took minutes.
    /// </summary>
    public class HugeAndDeepTests
    {
        private static readonly Flavour Ole32 = RuleCode.Get("DllImport.ole32");

        private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

        [Fact]
        public Task A_method_of_10000_statements_with_1700_checked_results_is_analysed_in_linear_time()
        {
            // Each group: a result in a local of its own, checked, then reverted in a finally (6 statements). Every result
            // is a key the analysis follows to its check, and every group a try region.
            var body = new StringBuilder();
            for (int i = 0; i < 1700; i++)
            {
                body.Append("        int hr").Append(i).Append(" = NativeMethods.CoImpersonateClient();\n")
                    .Append("        if (hr").Append(i).Append(" < 0) return;\n")
                    .Append("        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }\n");
            }

            body.Append("        {|COMIMP002:{|COMIMP004:NativeMethods.CoImpersonateClient()|}|};\n");
            return WithinLimit(RuleCode.VerifyAsync(Ole32, "    public void Begin_Work()\n    {\n" + body + "    }\n"));
        }

        [Fact]
        public async Task A_method_of_4000_results_that_are_never_read_is_analysed_in_linear_time()
        {
            // The search for a read of each result is bounded per method, like the flow analysis: past the bound it
            // takes the result as read (quiet). Below the bound every site is reported.
            var body = new StringBuilder("public void Begin_Work()\n{\n");
            for (int i = 0; i < 4000; i++)
            {
                body.Append("    int hr").Append(i).Append(" = NativeMethods.CoImpersonateClient(); NativeMethods.CoRevertToSelf();\n");
            }

            body.Append("}\n");
            Microsoft.CodeAnalysis.Project project = RobustnessHarness.CreateProject(
                "Huge",
                Ole32.Declarations.Select((text, i) => ("Declarations" + i + ".cs", text)).Append(("CallObject.cs", RuleCode.Class(Ole32, body.ToString()))));
            var clock = Stopwatch.StartNew();
            AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(project, document: null, limit: Limit);
            Assert.Null(outcome.Failure);
            Assert.True(clock.Elapsed < Limit, "took " + clock.Elapsed);
            Assert.NotEmpty(outcome.Diagnostics);
            Assert.All(outcome.Diagnostics, d => Assert.Equal("COMIMP004", d.Id));
        }

        [Fact]
        public Task Three_hundred_nested_blocks_and_ifs()
        {
            string open = string.Concat(Enumerable.Repeat("{ if (_flag) { ", 300));
            string close = string.Concat(Enumerable.Repeat("} } ", 300));
            return WithinLimit(RuleCode.VerifyAsync(Ole32, $$"""
                    public void Begin_Work()
                    {
                        {{open}}
                        int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
                        if (hr < 0) return;
                        Work();
                        {{close}}
                        {|COMIMP003:_sync.Signal()|};
                    }
                """));
        }

        [Fact]
        public Task Three_hundred_nested_lambdas()
        {
            // Each lambda is a body of its own, analysed from the entry state: only the innermost impersonates (on one path,
            // so it is not an impersonation wrapper, which would leave the revert to its caller).
            var open = new StringBuilder();
            for (int i = 0; i < 300; i++)
            {
                open.Append("Action a").Append(i).Append(" = () => { ");
            }

            string close = string.Concat(Enumerable.Repeat("}; ", 300));
            return WithinLimit(RuleCode.VerifyAsync(Ole32, $$"""
                    public void Begin_Work()
                    {
                        {{open}}
                        if (_flag)
                        {
                            int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
                            if (hr < 0) return;
                            Work();
                        }
                        {{close}}
                    }
                """));
        }

        [Fact]
        public Task One_hundred_nested_try_finally_and_local_functions()
        {
            string tries = string.Concat(Enumerable.Repeat("try { ", 100));
            string finallies = string.Concat(Enumerable.Repeat("} finally { Work(); } ", 100));
            var locals = new StringBuilder();
            for (int i = 0; i < 100; i++)
            {
                locals.Append("void L").Append(i).Append("() { ");
            }

            string localsClose = string.Concat(Enumerable.Repeat("} ", 100));
            return WithinLimit(RuleCode.VerifyAsync(Ole32, $$"""
                    public void Begin_Work()
                    {
                        // Work() in the finally blocks may throw while impersonating.
                        int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|};
                        if (hr < 0) return;
                        {{tries}}
                        Work();
                        {{finallies}}
                        NativeMethods.CoRevertToSelf();
                    }

                    public void Begin_Nested()
                    {
                        {{locals}}
                        if (_flag)
                        {
                            int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
                            if (hr < 0) return;
                            Work();
                        }
                        {{localsClose}}
                    }
                """));
        }

        [Fact]
        public Task A_condition_nested_a_thousand_parentheses_deep()
        {
            string open = new string('(', 1000);
            string close = new string(')', 1000);
            return WithinLimit(RuleCode.VerifyAsync(Ole32, $$"""
                    public void Begin_Work()
                    {
                        int hr = NativeMethods.CoImpersonateClient();
                        if ({{open}}hr{{close}} < 0) return;
                        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                    }
                """));
        }

        private static async Task WithinLimit(Task verification)
        {
            Task finished = await Task.WhenAny(verification, Task.Delay(Limit));
            Assert.True(finished == verification, "the analysis did not finish within " + Limit.TotalSeconds + " s");
            await verification;
        }
    }
}
