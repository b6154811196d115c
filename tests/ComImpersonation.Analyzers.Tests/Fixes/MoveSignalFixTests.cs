using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes.Fixes;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// COMIMP001, "Move impersonation before Signal" (SPEC §4): the signal statement moves to just after the
    /// impersonated region, so the impersonation runs while the call context exists. Never where a path between
    /// could then leave without signalling.
    /// </summary>
    public class MoveSignalFixTests
    {
        private static Flavour ComImport => RuleCode.Get("ComImport");

        private static Flavour Throwing => RuleCode.Get("ComImport.Throwing");

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Signal_moves_after_the_try_that_reverts(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        // tell the client we are done
                        {{f.SignalStatement}}
                        {{FixCode.CheckedOrThrow(f, f.Imp("COMIMP001"))}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }

                        Log(1);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.CheckedOrThrow(f, f.Impersonate)}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        // tell the client we are done
                        {{f.SignalStatement}}

                        Log(1);
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Signal_moves_after_the_try_whose_revert_acts_on_its_result(string name)
        {
            // What "Revert in finally" writes (issue 16) is the region's end as much as a plain revert is.
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        {{FixCode.CheckedOrThrow(f, f.Imp("COMIMP001"))}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }

                        Log(1);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.CheckedOrThrow(f, f.Impersonate)}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                        {{f.SignalStatement}}

                        Log(1);
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Signal_moves_after_the_revert_statement(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        {{FixCode.CheckedOrThrow(f, f.Imp("COMIMP001", "COMIMP007"))}}
                        Work();
                        {{f.RevertStatement}}
                        Log(2);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.CheckedOrThrow(f, f.Imp("COMIMP007"))}}
                        Work();
                        {{f.RevertStatement}}
                        {{f.SignalStatement}}
                        Log(2);
                    }
                """);
        }

        [Fact]
        public Task Failure_check_that_returns_the_failure_may_stay_between()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public int Begin_Work()
                    {
                        {{f.SignalStatement}}
                        int hr = {{f.Imp("COMIMP001")}};
                        if (hr < 0)
                        {
                            return hr;
                        }

                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }

                        return S_OK;
                    }
                """,
                $$"""
                    public int Begin_Work()
                    {
                        int hr = {{f.Impersonate}};
                        if (hr < 0)
                        {
                            return hr;
                        }

                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        {{f.SignalStatement}}

                        return S_OK;
                    }
                """);
        }

        [Fact]
        public Task Signal_moves_after_a_client_identity_call()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    private bool ExistsAsClient(string path)
                    {
                        _security.ImpersonateClient();
                        try { return System.IO.File.Exists(path); } finally { _security.RevertToSelf(); }
                    }

                    public void Begin_Work(string path)
                    {
                        {{f.SignalStatement}}
                        Log({|COMIMP001:ExistsAsClient(path)|});
                    }
                """,
                $$"""
                    private bool ExistsAsClient(string path)
                    {
                        _security.ImpersonateClient();
                        try { return System.IO.File.Exists(path); } finally { _security.RevertToSelf(); }
                    }

                    public void Begin_Work(string path)
                    {
                        Log(ExistsAsClient(path));
                        {{f.SignalStatement}}
                    }
                """);
        }

        [Fact]
        public Task Signal_moves_after_a_using_scope()
        {
            Flavour f = Throwing;
            const string Scope = """

                sealed class ClientScope : System.IDisposable
                {
                    private readonly IServerSecurity _security;
                    public ClientScope(IServerSecurity security) { _security = security; _security.ImpersonateClient(); }
                    public void Dispose() { _security.RevertToSelf(); }
                }
                """;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        using ({|COMIMP001:new ClientScope(_security)|})
                        {
                            Work();
                        }
                    }
                """ + "\n}" + Scope + "\nclass Unused\n{",
                $$"""
                    public void Begin_Work()
                    {
                        using (new ClientScope(_security))
                        {
                            Work();
                        }
                        {{f.SignalStatement}}
                    }
                """ + "\n}" + Scope + "\nclass Unused\n{");
        }

        [Fact]
        public Task Several_methods_are_fixed_together()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_One()
                    {
                        {{f.SignalStatement}}
                        {{f.Imp("COMIMP001")}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Begin_Two()
                    {
                        {{f.SignalStatement}}
                        Log(2);
                        {{f.Imp("COMIMP001")}};
                        try { Log(3); } finally { {{f.RevertStatement}} }
                    }
                """,
                $$"""
                    public void Begin_One()
                    {
                        {{f.Impersonate}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                        {{f.SignalStatement}}
                    }

                    public void Begin_Two()
                    {
                        Log(2);
                        {{f.Impersonate}};
                        try { Log(3); } finally { {{f.RevertStatement}} }
                        {{f.SignalStatement}}
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Not offered where it cannot be made safely
        // -------------------------------------------------------------------------------------------------------

        [Fact]
        public Task Bare_return_in_the_failure_check_signals_first()
        {
            // In a void Begin_, `return;` reports success: the client waits for a signal, so that path signals too.
            Flavour f = ComImport;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        var hr = {{f.Imp("COMIMP001")}};
                        if (hr < 0) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        var hr = {{f.Impersonate}};
                        if (hr < 0)
                        {
                            {{f.SignalStatement}}
                            return;
                        }
                        try { Work(); } finally { {{f.RevertStatement}} }
                        {{f.SignalStatement}}
                    }
                """);
        }

        [Fact]
        public Task Bare_return_in_a_failure_block_signals_first()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        if (FAILED({{f.Imp("COMIMP001")}}))
                        {
                            Log("not impersonating");
                            return;
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        if (FAILED({{f.Impersonate}}))
                        {
                            Log("not impersonating");
                            {{f.SignalStatement}}
                            return;
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                        {{f.SignalStatement}}
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Early_signal_in_an_if_moves_with_its_if(string name)
        {
            // Small requests are signalled before the work; the whole `if` moves past the region, and the signal for
            // the others stays where it was.
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work(byte[] request, int limit)
                    {
                        if (request.Length < limit && !_readOnlyMode)
                        {
                            {{f.SignalStatement}}
                        }

                        {{FixCode.CheckedOrThrow(f, f.Imp("COMIMP001"))}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }

                        if (request.Length >= limit)
                        {
                            {{f.SignalStatement}}
                        }
                    }

                    private readonly bool _readOnlyMode;
                """,
                $$"""
                    public void Begin_Work(byte[] request, int limit)
                    {
                        {{FixCode.CheckedOrThrow(f, f.Impersonate)}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        if (request.Length < limit && !_readOnlyMode)
                        {
                            {{f.SignalStatement}}
                        }

                        if (request.Length >= limit)
                        {
                            {{f.SignalStatement}}
                        }
                    }

                    private readonly bool _readOnlyMode;
                """);
        }

        [Fact]
        public Task Early_signal_without_braces_moves_with_its_if()
        {
            Flavour f = Throwing;
            return VerifyFix.RunAsync<MoveSignalAfterImpersonationCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work(string request)
                    {
                        if (request.Length == 0) {{f.SignalStatement}}
                        {{f.Imp("COMIMP001", "COMIMP007")}};
                        Work();
                        {{f.RevertStatement}}
                        Log(request);
                    }
                """,
                $$"""
                    public void Begin_Work(string request)
                    {
                        {{f.Imp("COMIMP007")}};
                        Work();
                        {{f.RevertStatement}}
                        if (request.Length == 0) {{f.SignalStatement}}
                        Log(request);
                    }
                """);
        }

        [Theory]
        [InlineData("IsSmall()", "")]                          // a call: it may have effects, or answer differently later
        [InlineData("_flag", "")]                              // a mutable field: the work between may change it
        [InlineData("size < 64", "size = 0;")]                 // the work between writes what the condition reads
        [InlineData("size < 64", "Action reset = () => size = 0;")] // a lambda captures it
        public Task Early_signal_is_not_moved_when_its_condition_could_change(string condition, string between)
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work(int size)
                    {
                        if ({{condition}})
                        {
                            {{f.SignalStatement}}
                        }

                        {{f.Imp("COMIMP001")}};
                        try
                        {
                            {{between}}
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }

                    private static bool IsSmall() => true;
                """));
        }

        [Fact]
        public Task Early_signal_with_an_else_is_not_moved()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work(int size)
                    {
                        if (size < 64)
                        {
                            {{f.SignalStatement}}
                        }
                        else
                        {
                            Log(size);
                        }

                        {{f.Imp("COMIMP001")}};
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_work_between_may_return()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        {{f.Imp("COMIMP001")}};
                        try
                        {
                            if (_flag) return;
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_nothing_reverts()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        {{f.Imp("COMIMP001", "COMIMP002")}};
                        Work();
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_revert_is_only_on_some_paths()
        {
            // Moving the signal after the `if` would signal while still impersonating when _flag is false.
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        {{f.Imp("COMIMP001", "COMIMP002")}};
                        if (_flag)
                        {
                            {{f.RevertStatement}}
                        }

                        Work();
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_signal_comes_from_an_earlier_iteration()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        for (int i = 0; i < 2; i++)
                        {
                            {{f.Imp("COMIMP001")}};
                            try { Work(); } finally { {{f.RevertStatement}} }
                            {{f.SignalStatement}}
                        }
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_signal_is_in_another_block()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        if (_flag)
                        {
                            {{f.SignalStatement}}
                        }

                        {{f.Imp("COMIMP001")}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_work_between_changes_the_signal_receiver()
        {
            Flavour f = Throwing;
            return VerifyFix.NotOfferedAsync<MoveSignalAfterImpersonationCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        {{f.Imp("COMIMP001")}};
                        try { _sync = null; } finally { {{f.RevertStatement}} }
                    }
                """));
        }
    }
}
