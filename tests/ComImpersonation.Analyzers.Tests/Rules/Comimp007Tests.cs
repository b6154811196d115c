using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// COMIMP007 (SPEC §3, Info): every normal path reverts, but something between the impersonation and the revert
    /// may throw and the revert is not in a finally block, so an exception leaves the thread impersonating. Reported at
    /// the impersonation call; not where COMIMP002 already is.
    /// </summary>
    public class Comimp007Tests
    {
        private const string Id = "COMIMP007";

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Call_between_impersonation_and_revert_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        Work();
                        {{f.RevertStatement}}
                    }
                """);
        }

        /// <summary>The rule is Info by default (SPEC §3), and the message names the API that impersonates.</summary>
        [Theory]
        [InlineData("ComImport")]
        [InlineData("ComImport.Throwing")]
        [InlineData("DllImport.EntryPoint")]
        [InlineData("Vanara.Ole32")]
        public Task Is_reported_as_info_naming_the_api(string name)
        {
            Flavour f = RuleCode.Get(name);
            string members = $$"""
                    public void Begin_Work()
                    {
                        {{f.ImpersonateChecked("{|#0:" + f.Impersonate + "|}")}}
                        {|#1:Work()|};
                        {|#2:{{f.Revert}}|};
                    }
                """;
            string source = RuleCode.Class(f, members);
            return RuleCode.VerifyAsync(
                f,
                members,
                new DiagnosticResult(Id, DiagnosticSeverity.Info).WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, "Work()", Flavours.LineOf(source, "{|#1:"), " at line " + Flavours.LineOf(source, "{|#2:"), ""));
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Other_throwing_operations_between_impersonation_and_revert_are_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            string revert = f.RevertStatement;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_ThrowStatement()
                    {
                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        if (_flag) throw new InvalidOperationException("not as the client");
                        {{revert}}
                    }

                    public void Begin_ObjectCreation()
                    {
                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        var buffer = new System.Text.StringBuilder(Environment.UserName);
                        {{revert}}
                        Log(buffer);
                    }

                    public void Begin_RevertOnEveryBranch()
                    {
                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        if (_flag)
                        {
                            Work();
                            {{revert}}
                        }
                        else
                        {
                            {{revert}}
                        }
                    }

                    public void Begin_RevertInLoop()
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            {{f.ImpersonateChecked(f.Imp(Id), "hr" + "Loop")}}
                            Log(i);
                            {{revert}}
                        }
                    }
                """);
        }

        /// <summary>
        /// A catch of one exception type protects nothing else: any other exception thrown by <c>Work()</c> leaves the
        /// method before the revert.
        /// </summary>
        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Typed_catch_around_the_work_does_not_protect_the_revert(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        try { Work(); } catch (InvalidOperationException) { _flag = true; }
                        {{f.RevertStatement}}
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Quiet
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Revert_in_finally_or_nothing_that_throws_before_it_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string checkedImp = f.ImpersonateChecked(f.Impersonate);
            string revert = f.RevertStatement;

            // A catch (Exception) that swallows a throwing projection's failure is COMIMP004 (SPEC §2 "Results"), so for
            // those flavours the outer catch takes an exception type the projection does not throw.
            string outerCatch = f.IsThrowing ? "catch (InvalidOperationException e)" : "catch (Exception e)";
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Finally()
                    {
                        {{checkedImp}}
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_FinallyWithCatch()
                    {
                        {{checkedImp}}
                        try { Work(); }
                        catch (InvalidOperationException e) { Log(e); }
                        finally { {{revert}} }
                    }

                    // Only a check of the result and plain assignments between impersonation and revert.
                    public void Begin_NothingThrows()
                    {
                        {{checkedImp}}
                        _mode = 1;
                        _flag = !_flag;
                        {{revert}}
                    }

                    // Reverted on the exceptional path too: in the catch, before the rethrow.
                    public void Begin_RevertInCatchAndAfter()
                    {
                        {{checkedImp}}
                        try { Work(); }
                        catch { {{revert}} throw; }
                        {{revert}}
                    }

                    // Nested try/finally inside try/catch, correct.
                    public void Begin_NestedInTryCatch()
                    {
                        try
                        {
                            {{checkedImp}}
                            try { Work(); } finally { {{revert}} }
                        }
                        {{outerCatch}}
                        {
                            Log(e);
                        }
                    }

                    // Nested try/finally inside try/catch inside try/finally.
                    public void Begin_DeeplyNested()
                    {
                        try
                        {
                            try
                            {
                                {{checkedImp}}
                                try { Work(); } finally { {{revert}} }
                                Work();
                            }
                            catch (InvalidOperationException e)
                            {
                                Log(e);
                            }
                        }
                        finally
                        {
                            Log(_mode);
                        }
                    }
                """);
        }

        /// <summary>Throw-on-failure helpers throw only when the impersonation failed, so they are not a risk between impersonation and revert.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Throw_on_failure_check_between_impersonation_and_revert_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string revert = f.RevertStatement;
            string? method = RuleCode.ThrowMethod(f);
            string structCheck = method is null ? "" : $$"""

                    public void Begin_StructThrow()
                    {
                        {{f.Impersonate}}.{{method}}();
                        _mode = 1;
                        {{revert}}
                    }
                """;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_ThrowExceptionForHR()
                    {
                        var hr = {{f.Impersonate}};
                        Marshal.ThrowExceptionForHR({{RuleCode.AsInt(f, "hr")}});
                        _mode = 1;
                        {{revert}}
                    }

                    public void Begin_FAILED()
                    {
                        var hr = {{f.Impersonate}};
                        if (FAILED(hr)) return;
                        _mode = 2;
                        {{revert}}
                    }
                {{structCheck}}
                """);
        }

        /// <summary>A normal path without revert is COMIMP002's; COMIMP007 is not reported on top of it.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Missing_revert_on_a_normal_path_is_COMIMP002_only(string name)
        {
            Flavour f = RuleCode.Get(name);
            string revert = f.RevertStatement;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_EarlyReturn()
                    {
                        {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                        Work();
                        if (_flag) return;
                        {{revert}}
                    }

                    public void Begin_RevertOnOneBranch()
                    {
                        {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                        Work();
                        if (_mode == 1)
                        {
                            {{revert}}
                        }
                    }
                """);
        }
    }
}
