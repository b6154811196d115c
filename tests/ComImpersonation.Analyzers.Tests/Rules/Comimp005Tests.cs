using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// COMIMP005 (SPEC §1, §3): any impersonation inside a <c>Finish_X</c> method, which runs after Signal, is reported
    /// at the impersonation call, even when it is checked and reverted correctly. Methods whose names only look alike
    /// (<c>FinishWork</c>, <c>Finished_Work</c>) and <c>Begin_X</c> stay quiet.
    /// </summary>
    public class Comimp005Tests
    {
        private const string Id = "COMIMP005";

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Correct_impersonation_in_Finish_is_reported_with_api_and_method_name(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(
                f,
                $$"""
                    public void Finish_Work()
                    {
                        {{f.ImpersonateChecked("{|#0:" + f.Impersonate + "|}")}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                Verify.Diagnostic(Id).WithLocation(0).WithArguments(f.ImpersonateName, "Finish_Work"));
        }

        /// <summary>The shape an AsyncIFoo call object has: <c>Finish_X</c> returns an HRESULT and has out-parameters.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Finish_with_out_parameters_and_a_result_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public int Finish_GetReport(out string report, out int pages)
                    {
                        report = null;
                        pages = 0;
                        {{f.ImpersonateOrThrow(f.Imp(Id))}}
                        try
                        {
                            report = Environment.UserName;
                            pages = 1;
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }

                        return 0;
                    }
                """);
        }

        /// <summary>Every impersonation in the method is reported, each at its own call.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Each_impersonation_in_Finish_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Finish_Work()
                    {
                        if (_flag)
                        {
                            {{f.ImpersonateChecked(f.Imp(Id), "first")}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        }
                        else
                        {
                            {{f.ImpersonateChecked(f.Imp(Id), "second")}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        }
                    }
                """);
        }

        /// <summary>SPEC: "any impersonation inside a Finish_ method", so also in its local functions and lambdas.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Impersonation_in_a_local_function_or_lambda_of_Finish_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Finish_Work()
                    {
                        AsClient();
                        Action again = () =>
                        {
                            {{f.ImpersonateChecked(f.Imp(Id))}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        };
                        again();

                        void AsClient()
                        {
                            {{f.ImpersonateChecked(f.Imp(Id))}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        }
                    }
                """);
        }

        /// <summary>
        /// A call object usually implements <c>AsyncIFoo</c> explicitly. The method is still named <c>Finish_X</c> in
        /// source (SPEC §2: "a method named Finish_X; no interface or attribute is required"), although its symbol's
        /// metadata name is <c>AsyncIReport.Finish_Work</c>.
        /// </summary>
        [Theory]
        [InlineData("ComImport")]
        [InlineData("ComImport.Throwing")]
        [InlineData("CsWin32.PInvoke")]
        [InlineData("TerraFX")]
        public Task Explicit_interface_implementation_of_Finish_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            string members = $$"""
                    void AsyncIReport.Begin_Work()
                    {
                        {{f.ImpersonateChecked(f.Impersonate)}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    void AsyncIReport.Finish_Work()
                    {
                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            const string Interface = """
                internal interface AsyncIReport
                {
                    void Begin_Work();

                    void Finish_Work();
                }

                partial class CallObject : AsyncIReport
                {
                }
                """;
            return Verify.AnalyzerAsync(f.Sources(RuleCode.Class(f, members), Interface));
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Begin_and_look_alike_names_are_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string body = f.ImpersonateChecked(f.Impersonate) + "\n        try { Work(); } finally { " + f.RevertStatement + " }";
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        {{body}}
                    }

                    public void FinishWork()
                    {
                        {{body}}
                    }

                    public void Finished_Work()
                    {
                        {{body}}
                    }

                    public void Finish()
                    {
                        {{body}}
                    }

                    public void OnFinish_Work()
                    {
                        {{body}}
                    }

                    // A Finish_ method without impersonation, next to a Begin_ method that has it.
                    public void Finish_Work()
                    {
                        Work();
                    }
                """);
        }
    }
}
