using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes.Fixes;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// COMIMP002 and COMIMP007, "Revert in finally" (SPEC §4): the statements after the impersonation and its
    /// failure check, up to the revert, the signal or the end of the block, go into <c>try</c>, and the revert (the
    /// impersonation's own, on the same receiver or the matching P/Invoke) into <c>finally</c>.
    /// </summary>
    public class RevertInFinallyFixTests
    {
        private static Flavour ComImport => RuleCode.Get("ComImport");

        private static Flavour Throwing => RuleCode.Get("ComImport.Throwing");

        // -------------------------------------------------------------------------------------------------------
        // Every flavour
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Missing_revert_is_added_in_finally_after_the_failure_check(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP002"))}}
                        // the work
                        Work();

                        Log(1);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            // the work
                            Work();

                            Log(1);
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Revert_after_the_work_moves_into_finally(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP007"))}}
                        Work();
                        // back to the server's identity
                        {{f.RevertStatement}}
                        Log(2);
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
                            // back to the server's identity
                            {{f.RevertStatement}}
                        }
                        Log(2);
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Early_return_before_the_revert_is_covered(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP002"))}}
                        Work();
                        if (_flag) return;
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
                            if (_flag) return;
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Region_ends_before_the_signal_and_the_later_revert_goes(string name)
        {
            // COMIMP002 and COMIMP003 together: reverting in a finally before Signal answers both.
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP002"))}}
                        Work();
                        if (_flag) return;
                        {{f.Sig("COMIMP003")}};
                        Log(3);
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
                            if (_flag) return;
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                        {{f.SignalStatement}}
                        Log(3);
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // The revert acting on its result (issue 16): the fixes take it for the revert statement
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Revert_acting_on_its_result_moves_into_finally_as_it_is(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP007"))}}
                        Work();
                        {{FixCode.WrittenRevert(f)}}
                        Log(2);
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
                        Log(2);
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Later_revert_acting_on_its_result_goes_when_the_region_ends_at_the_signal(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP007"))}}
                        Work();
                        {{f.Sig("COMIMP003")}};
                        Log(3);
                        {{FixCode.WrittenRevert(f)}}
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
                        Log(3);
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Shapes of code
        // -------------------------------------------------------------------------------------------------------

        [Fact]
        public Task Success_block_of_an_if_is_wrapped()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        if (SUCCEEDED({{f.Imp("COMIMP002")}}))
                        {
                            Work();
                        }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        if (SUCCEEDED({{f.Impersonate}}))
                        {
                            try
                            {
                                Work();
                            }
                            finally
                            {
                                {{FixCode.WrittenRevert(f, FixCode.Body + "        ")}}
                            }
                        }
                    }
                """);
        }

        [Fact]
        public Task Failure_test_on_the_call_itself_stays_outside_the_try()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public int Begin_Work()
                    {
                        if ({{f.Imp("COMIMP002")}} < 0)
                        {
                            return -1;
                        }

                        Work();
                        return 0;
                    }
                """,
                $$"""
                    public int Begin_Work()
                    {
                        if ({{f.Impersonate}} < 0)
                        {
                            return -1;
                        }

                        try
                        {
                            Work();
                            return 0;
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                    }
                """);
        }

        [Fact]
        public Task Nested_blocks_keep_their_indentation()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        lock (this)
                        {
                            foreach (int i in new[] { 1, 2 })
                            {
                                {{f.Imp("COMIMP002")}};
                                Log(i);
                            }
                        }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        lock (this)
                        {
                            foreach (int i in new[] { 1, 2 })
                            {
                                {{f.Impersonate}};
                                try
                                {
                                    Log(i);
                                }
                                finally
                                {
                                    {{f.RevertStatement}}
                                }
                            }
                        }
                    }
                """);
        }

        [Fact]
        public Task Switch_section_keeps_its_break_outside_the_try()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        switch (_mode)
                        {
                            case 1:
                                {{f.Imp("COMIMP002")}};
                                Work();
                                break;
                            default:
                                Log(0);
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
                                break;
                            default:
                                Log(0);
                                break;
                        }
                    }
                """);
        }

        [Fact]
        public Task Lambda_body_is_fixed_inside_the_lambda()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        System.Action act = () =>
                        {
                            {{f.Imp("COMIMP007")}};
                            Work();
                            {{f.RevertStatement}}
                        };
                        act();
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        System.Action act = () =>
                        {
                            {{f.Impersonate}};
                            try
                            {
                                Work();
                            }
                            finally
                            {
                                {{f.RevertStatement}}
                            }
                        };
                        act();
                    }
                """);
        }

        [Fact]
        public Task Impersonation_at_the_end_of_a_block_gets_the_revert_alone()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        Work();
                        if (_flag)
                        {
                            {{FixCode.Checked(f, f.Imp("COMIMP002"), FixCode.Body + "    ")}}
                        }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        Work();
                        if (_flag)
                        {
                            {{FixCode.Checked(f, f.Impersonate, FixCode.Body + "    ")}}
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                    }
                """);
        }

        [Fact]
        public Task Not_offered_when_the_block_that_ends_the_region_is_followed_by_impersonated_code()
        {
            // Reverting at the end of the if block would run Work() reverted: it ran impersonated before (issue 16).
            Flavour f = ComImport;
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        if (_flag)
                        {
                            {{FixCode.Checked(f, f.Imp("COMIMP002"), FixCode.Body + "    ")}}
                        }

                        Work();
                    }
                """));
        }

        [Fact]
        public Task Several_regions_in_one_method_are_fixed_together()
        {
            Flavour f = RuleCode.Get("DllImport.EntryPoint");
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP007"))}}
                        Work();
                        {{f.RevertStatement}}
                        Log(1);
                        {{f.Imp("COMIMP004", "COMIMP007")}};
                        Log(2);
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
                            {{f.RevertStatement}}
                        }
                        Log(1);
                        {|COMIMP004:{{f.Impersonate}}|};
                        try
                        {
                            Log(2);
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        [Fact]
        public Task Revert_wrapper_ending_the_region_moves_into_finally()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    private int Impersonate() => {{f.Impersonate}};
                    private void Revert() => {{f.Revert}};

                    public void Begin_Work()
                    {
                        if ({|COMIMP007:Impersonate()|} < 0) return;
                        Work();
                        Revert();
                    }
                """,
                $$"""
                    private int Impersonate() => {{f.Impersonate}};
                    private void Revert() => {{f.Revert}};

                    public void Begin_Work()
                    {
                        if (Impersonate() < 0) return;
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            Revert();
                        }
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Not offered where it cannot be made safely
        // -------------------------------------------------------------------------------------------------------

        [Fact]
        public Task Local_of_the_region_used_after_the_revert_is_declared_before_the_try()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.Imp("COMIMP007")}};
                        var count = _mode + 3;
                        Work();
                        {{f.RevertStatement}}
                        Log(count);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.Impersonate}};
                        int count;
                        try
                        {
                            count = _mode + 3;
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        Log(count);
                    }
                """);
        }

        [Fact]
        public Task Not_offered_when_the_impersonation_is_an_embedded_statement()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        if (_flag) {{f.Imp("COMIMP002")}};
                        Work();
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_receiver_would_be_evaluated_again()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    private IServerSecurity Security() => _security;

                    public void Begin_Work()
                    {
                        {|COMIMP002:Security().ImpersonateClient()|};
                        Work();
                    }
                """));
        }

        [Fact]
        public Task Not_offered_for_an_impersonation_wrapper_without_a_known_revert()
        {
            Flavour f = ComImport;
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    private int Impersonate() => {{f.Impersonate}};

                    public void Begin_Work()
                    {
                        if ({|COMIMP002:Impersonate()|} < 0) return;
                        Work();
                    }
                """));
        }

        [Fact]
        public Task Not_offered_in_an_expression_bodied_member()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work() => {{f.Imp("COMIMP002")}};
                """));
        }

        [Fact]
        public Task Not_offered_across_a_label()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.Imp("COMIMP002")}};
                    again:
                        Work();
                        if (_flag) goto again;
                    }
                """));
        }
    }
}
