using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes.Fixes;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// COMIMP003, "Revert before Signal" (SPEC §4): the thread is reverted right before the signal. With the
    /// impersonation in the same block, the statements between go into <c>try</c> and the revert into
    /// <c>finally</c> (so the fix does not leave COMIMP007 behind); elsewhere the revert is inserted before the
    /// signal.
    /// </summary>
    public class RevertBeforeSignalFixTests
    {
        private static Flavour ComImport => RuleCode.Get("ComImport");

        private static Flavour Throwing => RuleCode.Get("ComImport.Throwing");

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Revert_after_the_signal_moves_before_it(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertBeforeSignalCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP007"))}}
                        Work();
                        {{f.Sig("COMIMP003")}};
                        {{f.RevertStatement}}
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                        {{f.SignalStatement}}
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Missing_revert_is_added_before_the_signal(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertBeforeSignalCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP002"))}}
                        Work();

                        // done
                        {{f.Sig("COMIMP003")}};
                        Log(1);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }

                        // done
                        {{f.SignalStatement}}
                        Log(1);
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Signal_in_a_nested_block_gets_the_revert_inserted_before_it(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertBeforeSignalCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp())}}
                        try
                        {
                            if (_flag)
                            {
                                {{f.Sig("COMIMP003")}};
                            }
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            if (_flag)
                            {
                                {{FixCode.WrittenRevert(f, FixCode.Body + "        ")}}
                                {{f.SignalStatement}}
                            }
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        [Fact]
        public Task Impersonation_with_nothing_between_gets_the_revert_alone()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<RevertBeforeSignalCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.Imp("COMIMP002")}};
                        {{f.Sig("COMIMP003")}};
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.Impersonate}};
                        {{f.RevertStatement}}
                        {{f.SignalStatement}}
                    }
                """);
        }

        [Fact]
        public Task Switch_sections_are_fixed_one_by_one_and_all_together()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<RevertBeforeSignalCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        switch (_mode)
                        {
                            case 1:
                                {{f.Imp("COMIMP007")}};
                                Work();
                                {{f.Sig("COMIMP003")}};
                                {{f.RevertStatement}}
                                break;
                            case 2:
                                {{f.Imp("COMIMP007")}};
                                Log(2);
                                {{f.Sig("COMIMP003")}};
                                {{f.RevertStatement}}
                                break;
                        }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        switch (_mode)
                        {
                            case 1:
                                {{f.Impersonate}};
                                try
                                {
                                    Work();
                                }
                                finally
                                {
                                    {{f.RevertStatement}}
                                }
                                {{f.SignalStatement}}
                                break;
                            case 2:
                                {{f.Impersonate}};
                                try
                                {
                                    Log(2);
                                }
                                finally
                                {
                                    {{f.RevertStatement}}
                                }
                                {{f.SignalStatement}}
                                break;
                        }
                    }
                """);
        }

        [Fact]
        public Task Not_offered_when_the_revert_would_not_bind_at_the_signal()
        {
            // The impersonation's receiver is a local of an inner block; the signal is outside that block.
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<RevertBeforeSignalCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {
                            IServerSecurity security = _security;
                            {|COMIMP002:security.ImpersonateClient()|};
                        }

                        {|COMIMP003:{{f.Signal}}|};
                    }
                """));
        }

        [Fact]
        public Task Not_offered_for_an_impersonation_wrapper()
        {
            Flavour f = ComImport;
            return VerifyFix.NotOfferedAsync<RevertBeforeSignalCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    private int Impersonate() => {{f.Impersonate}};

                    public void Begin_Work()
                    {
                        if ({|COMIMP002:Impersonate()|} < 0) return;
                        Work();
                        {{f.Sig("COMIMP003")}};
                    }
                """));
        }
    }
}
