using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>COMIMP001: client impersonated after ISynchronize.Signal, reported at the impersonation call.</summary>
    public class Comimp001Tests
    {
        private static readonly Flavour ComImport = Flavours.Get("ComImport");
        private static readonly Flavour Ole32 = Flavours.Get("DllImport.ole32");
        private static readonly Flavour Throwing = Flavours.Get("ComImport.Throwing");

        public static TheoryData<string> AllFlavours => Flavours.Names;

        public static TheoryData<string> CheckedFlavours => Flavours.CheckedNames;

        public static TheoryData<string> Decoys => Flavours.DecoyNames;

        // ---------------------------------------------------------------------------------------------
        // Every flavour
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Impersonation_after_signal_is_reported(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.SignalStatement}}
                {{f.ImpersonateChecked(f.Imp("COMIMP001"))}}
                try
                {
                    Work();
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Impersonation_reverted_before_signal_is_quiet(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp())}}
                try
                {
                    Work();
                }
                finally
                {
                    {{f.RevertStatement}}
                }

                {{f.SignalStatement}}
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Message_names_the_impersonation_the_signal_and_its_line(string name)
        {
            Flavour f = Flavours.Get(name);
            string body = $$"""
                if (_flag)
                {
                    {{f.Sig("#1")}};
                }

                {{f.ImpersonateChecked(f.Imp("#0"))}}
                try
                {
                    Work();
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """;
            string source = f.CallObject(body);
            return Verify.AnalyzerAsync(
                f.Sources(source),
                Verify.DiagnosticWithRelated("COMIMP001").WithLocation(0).WithLocation(1).WithArguments(f.ImpersonateName, f.SignalName, Flavours.LineOf(source, f.Signal), "", "", ""));
        }

        [Theory]
        [MemberData(nameof(CheckedFlavours))]
        public Task Signal_on_the_failure_branch_then_return_is_quiet(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                var hr = {{f.Imp()}};
                if ({{f.Failed("hr")}})
                {
                    {{f.SignalStatement}}
                    return;
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
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Signal_in_one_loop_iteration_precedes_the_impersonation_in_the_next(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                for (int i = 0; i < 3; i++)
                {
                    {{f.ImpersonateChecked(f.Imp("COMIMP001"))}}
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        {{f.RevertStatement}}
                    }

                    {{f.SignalStatement}}
                }
                """);
        }

        [Theory]
        [MemberData(nameof(Decoys))]
        public Task Look_alikes_are_not_recognised(string name)
        {
            // With the real API this body is COMIMP001; one of the two calls here is a decoy.
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.SignalStatement}}
                {{f.ImpersonateChecked(f.Imp())}}
                try
                {
                    Work();
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Branches
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Signal_on_one_branch_of_an_if_may_precede_the_impersonation()
        {
            return ComImport.VerifyAsync("""
                if (_flag)
                {
                    _sync.Signal();
                }
                else
                {
                    Work();
                }

                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Signal_then_return_does_not_reach_the_impersonation()
        {
            return ComImport.VerifyAsync("""
                if (_flag)
                {
                    _sync.Signal();
                    return;
                }

                if (_security.ImpersonateClient() < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_a_switch_case_that_falls_out_of_the_switch()
        {
            return ComImport.VerifyAsync("""
                switch (_mode)
                {
                    case 0:
                        _sync.Signal();
                        break;
                    case 1:
                        Work();
                        break;
                }

                int hr = {|COMIMP001:_security.ImpersonateClient()|};
                if (hr < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Signal_in_a_switch_case_that_returns_is_quiet()
        {
            return ComImport.VerifyAsync("""
                switch (_mode)
                {
                    case 0:
                        _sync.Signal();
                        return;
                    default:
                        Work();
                        break;
                }

                int hr = _security.ImpersonateClient();
                if (hr < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_a_switch_section_then_impersonation_in_a_later_section_via_goto_case()
        {
            return ComImport.VerifyAsync("""
                switch (_mode)
                {
                    case 0:
                        _sync.Signal();
                        goto case 1;
                    case 1:
                        int hr = {|COMIMP001:_security.ImpersonateClient()|};
                        if (hr < 0) return;
                        try { Work(); } finally { _security.RevertToSelf(); }
                        break;
                }
                """);
        }

        [Fact]
        public Task Conditional_access_signal_may_have_happened()
        {
            return ComImport.VerifyAsync("""
                _sync?.Signal();
                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Conditional_access_impersonation_after_signal_is_reported_at_the_invocation()
        {
            return Throwing.VerifyAsync("""
                _sync.Signal();
                _security?{|COMIMP001:.ImpersonateClient()|};
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Loops and goto
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task While_loop_with_signal_at_the_end_of_the_body()
        {
            return Ole32.VerifyAsync("""
                int remaining = 3;
                while (remaining-- > 0)
                {
                    if ({|COMIMP001:NativeMethods.CoImpersonateClient()|} != 0) continue;
                    try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                    _sync.Signal();
                }
                """);
        }

        [Fact]
        public Task Foreach_loop_with_signal_in_the_body()
        {
            return ComImport.VerifyAsync("""
                foreach (int item in new[] { 1, 2, 3 })
                {
                    var hr = {|COMIMP001:_security.ImpersonateClient()|};
                    if (hr < 0) break;
                    try { Work(); } finally { _security.RevertToSelf(); }
                    if (item == 3) _sync.Signal();
                }
                """);
        }

        [Fact]
        public Task Do_while_loop_with_signal_in_the_body()
        {
            return Throwing.VerifyAsync("""
                do
                {
                    {|COMIMP001:_security.ImpersonateClient()|};
                    try { Work(); } finally { _security.RevertToSelf(); }
                    _sync.Signal();
                }
                while (_flag);
                """);
        }

        [Fact]
        public Task Loop_that_does_not_signal_followed_by_signal_is_quiet()
        {
            return ComImport.VerifyAsync("""
                for (int i = 0; i < 3; i++)
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Loop_that_signals_and_breaks_before_the_next_impersonation_is_quiet()
        {
            return ComImport.VerifyAsync("""
                for (int i = 0; i < 3; i++)
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                    if (i == 2)
                    {
                        _sync.Signal();
                        break;
                    }
                }
                """);
        }

        [Fact]
        public Task Goto_back_to_the_impersonation_after_signal()
        {
            return Ole32.VerifyAsync("""
                int attempts = 0;
                retry:
                if ({|COMIMP001:NativeMethods.CoImpersonateClient()|} < 0) return;
                try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                _sync.Signal();
                if (++attempts < 2) goto retry;
                """);
        }

        [Fact]
        public Task Goto_that_skips_the_signal_is_quiet()
        {
            return Ole32.VerifyAsync("""
                if (_flag) goto impersonate;
                _sync.Signal();
                return;
                impersonate:
                if (NativeMethods.CoImpersonateClient() < 0) return;
                try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // try / catch / finally, using, lock
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Signal_in_finally_precedes_the_impersonation_after_it()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    Work();
                }
                finally
                {
                    _sync.Signal();
                }

                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Impersonation_in_finally_after_signal_in_try()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    _sync.Signal();
                }
                finally
                {
                    if ({|COMIMP001:_security.ImpersonateClient()|} >= 0)
                    {
                        _security.RevertToSelf();
                    }
                }
                """);
        }

        [Fact]
        public Task Impersonation_in_catch_after_signal_in_try()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    _sync.Signal();
                    Work();
                }
                catch (System.InvalidOperationException)
                {
                    if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                }
                """);
        }

        [Fact]
        public Task Signal_in_catch_that_swallows_precedes_the_impersonation_after_it()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    Work();
                }
                catch (System.Exception)
                {
                    _sync.Signal();
                }

                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Signal_in_catch_that_rethrows_is_quiet()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    Work();
                }
                catch (System.Exception)
                {
                    _sync.Signal();
                    throw;
                }

                if (_security.ImpersonateClient() < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                _sync.Signal();
                """);
        }

        [Fact]
        public Task Nested_finally_that_signals()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        _sync.Signal();
                    }
                }
                finally
                {
                    Work();
                }

                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Nested_try_finally_with_revert_inside_and_signal_after_is_quiet()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try
                    {
                        try { Work(); } finally { Work(); }
                    }
                    finally
                    {
                        _security.RevertToSelf();
                    }
                }
                finally
                {
                    _sync.Signal();
                }
                """);
        }

        [Fact]
        public Task Signal_inside_a_using_block()
        {
            return ComImport.VerifyAsync("""
                using (var stream = new System.IO.MemoryStream())
                {
                    stream.WriteByte(1);
                    _sync.Signal();
                }

                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Impersonation_inside_a_using_declaration_scope_after_signal()
        {
            return ComImport.VerifyAsync("""
                _sync.Signal();
                using var stream = new System.IO.MemoryStream();
                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { stream.WriteByte(1); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Using_block_with_impersonation_then_signal_after_is_quiet()
        {
            return ComImport.VerifyAsync("""
                using (var stream = new System.IO.MemoryStream())
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try { stream.WriteByte(1); } finally { _security.RevertToSelf(); }
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_inside_a_lock_statement()
        {
            return ComImport.VerifyAsync("""
                lock (_gate)
                {
                    _sync.Signal();
                }

                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Lock_with_impersonation_then_signal_after_is_quiet()
        {
            return ComImport.VerifyAsync("""
                lock (_gate)
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                }

                _sync.Signal();
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Unreachable code
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Impersonation_after_signal_and_return_is_unreachable()
        {
            return ComImport.VerifyAsync("""
                _sync.Signal();
                return;
                if (_security.ImpersonateClient() < 0) return;
                _security.RevertToSelf();
                """);
        }

        [Fact]
        public Task Impersonation_after_signal_and_throw_is_unreachable()
        {
            return Throwing.VerifyAsync("""
                _sync.Signal();
                throw new System.InvalidOperationException();
                _security.ImpersonateClient();
                _security.RevertToSelf();
                """);
        }

        [Fact]
        public Task Impersonation_after_an_endless_loop_is_unreachable()
        {
            return ComImport.VerifyAsync("""
                while (true)
                {
                    _sync.Signal();
                    if (_flag) return;
                }

                if (_security.ImpersonateClient() < 0) return;
                _security.RevertToSelf();
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Lambdas and local functions
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Signal_in_a_lambda_that_is_only_stored_has_not_happened()
        {
            return ComImport.VerifyAsync(
                """
                _onDone = () => _sync.Signal();
                if (_security.ImpersonateClient() < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """,
                "    private System.Action _onDone;");
        }

        [Fact]
        public Task Signal_in_an_anonymous_method_that_is_only_stored_has_not_happened()
        {
            return ComImport.VerifyAsync(
                """
                System.Action onDone = delegate { _sync.Signal(); };
                _callbacks.Add(onDone);
                if (_security.ImpersonateClient() < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """,
                "    private readonly System.Collections.Generic.List<System.Action> _callbacks = new System.Collections.Generic.List<System.Action>();");
        }

        [Fact]
        public Task Signal_in_a_local_function_that_is_never_called_has_not_happened()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }

                void Complete() => _sync.Signal();
                """);
        }

        [Fact]
        public Task Local_function_that_signals_and_is_called_before_the_impersonation()
        {
            string body = """
                Complete();
                if ({|#0:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }

                void Complete()
                {
                    Work();
                    _sync.Signal();
                }
                """;
            string source = ComImport.CallObject(body);
            return Verify.AnalyzerAsync(
                ComImport.Sources(source),
                Verify.Diagnostic("COMIMP001").WithLocation(0).WithArguments("IServerSecurity.ImpersonateClient", "Complete", Flavours.LineOf(source, "Complete();"), "", "", ""));
        }

        [Fact]
        public Task Local_function_that_signals_through_another_local_function()
        {
            return ComImport.VerifyAsync("""
                Finish();
                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }

                void Finish() => Complete();
                void Complete() => _sync.Signal();
                """);
        }

        [Fact]
        public Task Impersonation_after_signal_inside_a_lambda_body_is_reported_there()
        {
            return ComImport.VerifyAsync(
                """
                _onDone = () =>
                {
                    _sync.Signal();
                    if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                };
                """,
                "    private System.Action _onDone;");
        }

        [Fact]
        public Task Impersonation_after_signal_inside_a_local_function_is_reported_there()
        {
            return ComImport.VerifyAsync("""
                Run();

                void Run()
                {
                    _sync.Signal();
                    if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Not only Begin_ methods; every impersonation after the signal
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Applies_to_every_method_not_only_Begin()
        {
            return Verify.AnalyzerAsync(ComImport.Sources("""
                class Worker
                {
                    private IServerSecurity _security;
                    private ISynchronize _sync;

                    public void Process(int count)
                    {
                        if (count == 0) _sync.Signal();
                        if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                        _security.RevertToSelf();
                    }
                }
                """));
        }

        [Fact]
        public Task Each_impersonation_after_the_signal_is_reported()
        {
            return Ole32.VerifyAsync("""
                _sync.Signal();
                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                if ({|COMIMP001:NativeMethods.CoImpersonateClient()|} < 0) return;
                try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                """);
        }

        [Fact]
        public Task Signal_through_the_base_interface_of_ISynchronizeMutex()
        {
            Flavour mutex = Flavours.Get("ComImport.ISynchronizeMutex");
            return mutex.VerifyAsync("""
                ((ISynchronize)_mutex).Signal();
                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Through the code base (SPEC §2, interprocedural summaries)
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Signal_through_a_helper_method_in_the_same_class()
        {
            return ComImport.VerifyAsync(
                """
                Complete();
                if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """,
                """
                    private void Complete()
                    {
                        Work();
                        _sync.Signal();
                    }
                """);
        }

        [Fact]
        public Task Client_identity_helper_called_after_signal_is_reported_at_the_call()
        {
            return ComImport.VerifyAsync(
                """
                _sync.Signal();
                {|COMIMP001:ReadAsClient()|};
                """,
                """
                    private void ReadAsClient()
                    {
                        if (_security.ImpersonateClient() < 0) throw new System.UnauthorizedAccessException();
                        try { Work(); } finally { _security.RevertToSelf(); }
                    }
                """);
        }
    }
}
