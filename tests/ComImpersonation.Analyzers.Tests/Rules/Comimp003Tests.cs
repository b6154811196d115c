using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>COMIMP003: ISynchronize.Signal called while the thread may still be impersonating, reported at the Signal.</summary>
    public class Comimp003Tests
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
        public Task Signal_while_impersonating_is_reported(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp())}}
                try
                {
                    Work();
                    {{f.Sig("COMIMP003")}};
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Signal_after_revert_is_quiet(string name)
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
        [MemberData(nameof(CheckedFlavours))]
        public Task Signal_on_the_failure_branch_is_quiet(string name)
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
        public Task Message_names_the_signal_the_impersonation_and_its_line(string name)
        {
            Flavour f = Flavours.Get(name);
            string body = $$"""
                {{f.ImpersonateChecked(f.Imp("#1"))}}
                try
                {
                    {{f.Sig("#0")}};
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """;
            string source = f.CallObject(body);
            return Verify.AnalyzerAsync(
                f.Sources(source),
                Verify.DiagnosticWithRelated("COMIMP003").WithLocation(0).WithLocation(1).WithArguments(f.SignalName, f.ImpersonateName, Flavours.LineOf(source, f.Impersonate), "", ""));
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task No_revert_at_all_gets_both_COMIMP002_and_COMIMP003(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                if (_flag)
                {
                    {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                }

                Work();
                {{f.Sig("COMIMP003")}};
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Impersonate_then_signal_without_any_revert_gets_both_COMIMP002_and_COMIMP003(string name)
        {
            // Not an impersonation wrapper: it signals, and it is a Begin_ method.
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                Work();
                {{f.Sig("COMIMP003")}};
                """);
        }

        [Theory]
        [MemberData(nameof(Decoys))]
        public Task Look_alikes_are_not_recognised(string name)
        {
            // With the real API this body is COMIMP003; one of the two calls here is a decoy.
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp())}}
                try
                {
                    Work();
                    {{f.SignalStatement}}
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
        public Task Revert_on_one_branch_only_before_the_signal()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    if (_flag)
                    {
                        _security.RevertToSelf();
                    }

                    {|COMIMP003:_sync.Signal()|};
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Revert_on_every_branch_before_the_signal_is_quiet()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                if (_flag)
                {
                    _security.RevertToSelf();
                }
                else
                {
                    _security.RevertToSelf();
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_the_else_branch_of_a_direct_success_test_is_quiet()
        {
            return Ole32.VerifyAsync("""
                if (NativeMethods.CoImpersonateClient() >= 0)
                {
                    try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                }
                else
                {
                    _sync.Signal();
                    return;
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_the_success_branch_of_a_direct_test_is_reported()
        {
            return Ole32.VerifyAsync("""
                if (NativeMethods.CoImpersonateClient() >= 0)
                {
                    try
                    {
                        {|COMIMP003:_sync.Signal()|};
                    }
                    finally
                    {
                        NativeMethods.CoRevertToSelf();
                    }
                }
                """);
        }

        [Theory]
        [InlineData("TerraFX", "FAILED(hr)")]
        [InlineData("CsWin32.Com", "hr.Failed")]
        [InlineData("Vanara.IServerSecurity", "!hr.Succeeded")]
        [InlineData("ComImport", "hr is < 0")]
        [InlineData("DllImport.ole32", "hr != 0")]
        public Task Signal_inside_the_failure_block_is_quiet(string name, string failed)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                var hr = {{f.Imp()}};
                if ({{failed}})
                {
                    Work();
                    {{f.SignalStatement}}
                }
                else
                {
                    try { Work(); } finally { {{f.RevertStatement}} }
                    {{f.SignalStatement}}
                }
                """);
        }

        [Fact]
        public Task Signal_in_a_switch_section_while_impersonating()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    switch (_mode)
                    {
                        case 0:
                            {|COMIMP003:_sync.Signal()|};
                            break;
                        default:
                            Work();
                            break;
                    }
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Conditional_access_signal_while_impersonating()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                    _sync?{|COMIMP003:.Signal()|};
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Loops and goto
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Signal_inside_a_loop_while_impersonating()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    foreach (int item in new[] { 1, 2, 3 })
                    {
                        Work();
                        if (item == 3) {|COMIMP003:_sync.Signal()|};
                    }
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Impersonation_of_the_previous_iteration_is_still_active_at_the_signal()
        {
            return Ole32.VerifyAsync("""
                try
                {
                    for (int i = 0; i < 3; i++)
                    {
                        if (i > 0)
                        {
                            {|COMIMP003:_sync.Signal()|};
                            break;
                        }

                        if (NativeMethods.CoImpersonateClient() < 0) return;
                        Work();
                    }
                }
                finally
                {
                    NativeMethods.CoRevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Loop_that_reverts_each_iteration_then_signals_is_quiet()
        {
            return Ole32.VerifyAsync("""
                for (int i = 0; i < 3; i++)
                {
                    if (NativeMethods.CoImpersonateClient() < 0) continue;
                    try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Goto_that_skips_the_revert_reaches_the_signal()
        {
            return Ole32.VerifyAsync("""
                if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return;
                if (_flag) goto signal;
                NativeMethods.CoRevertToSelf();
                signal:
                {|COMIMP003:_sync.Signal()|};
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // try / catch / finally, using, lock
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Signal_in_finally_before_the_revert()
        {
            // A PreserveSig Signal cannot throw, so nothing can skip the revert that follows it.
            Flavour f = Flavours.Get("GeneratedComInterface");
            return f.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                }
                finally
                {
                    {|COMIMP003:_sync.Signal()|};
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_in_catch_while_impersonating()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                }
                catch (System.Exception)
                {
                    {|COMIMP003:_sync.Signal()|};
                    throw;
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_in_catch_after_the_inner_finally_reverted_is_quiet()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        _security.RevertToSelf();
                    }
                }
                catch (System.Exception)
                {
                    _sync.Signal();
                    throw;
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_catch_of_a_failed_Marshal_ThrowExceptionForHR_is_quiet()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    int hr = _security.ImpersonateClient();
                    System.Runtime.InteropServices.Marshal.ThrowExceptionForHR(hr);
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        _security.RevertToSelf();
                    }
                }
                catch (System.Runtime.InteropServices.COMException)
                {
                    _sync.Signal();
                    return;
                }

                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_catch_of_a_failed_throwing_projection_is_quiet()
        {
            return Throwing.VerifyAsync("""
                try
                {
                    _security.ImpersonateClient();
                }
                catch (System.Runtime.InteropServices.COMException)
                {
                    _sync.Signal();
                    return;
                }

                try { Work(); } finally { _security.RevertToSelf(); }
                _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_in_a_catch_that_swallows_gets_both_rules()
        {
            return ComImport.VerifyAsync("""
                if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                try
                {
                    Work();
                    _security.RevertToSelf();
                }
                catch (System.InvalidOperationException)
                {
                    {|COMIMP003:_sync.Signal()|};
                }
                """);
        }

        [Fact]
        public Task Signal_inside_the_inner_try_of_nested_finally_blocks()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    try
                    {
                        {|COMIMP003:_sync.Signal()|};
                    }
                    finally
                    {
                        Work();
                    }
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_in_the_outer_finally_after_the_inner_finally_reverted_is_quiet()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try
                    {
                        Work();
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
        public Task Signal_inside_a_using_block_while_impersonating()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    using (var stream = new System.IO.MemoryStream())
                    {
                        stream.WriteByte(1);
                        {|COMIMP003:_sync.Signal()|};
                    }
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_inside_a_lock_while_impersonating()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    lock (_gate)
                    {
                        {|COMIMP003:_sync.Signal()|};
                    }
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_inside_a_lock_after_the_reverting_try_is_quiet()
        {
            return ComImport.VerifyAsync("""
                lock (_gate)
                {
                    if (_security.ImpersonateClient() < 0) return;
                    try { Work(); } finally { _security.RevertToSelf(); }
                    _sync.Signal();
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Unreachable code, lambdas and local functions
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Unreachable_signal_is_not_reported()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                    return;
                    _sync.Signal();
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_in_a_lambda_created_while_impersonating_is_quiet()
        {
            return ComImport.VerifyAsync(
                """
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    _onDone = () => _sync.Signal();
                    Work();
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """,
                "    private System.Action _onDone;");
        }

        [Fact]
        public Task Local_function_that_signals_called_while_impersonating_is_reported_at_the_call()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                    {|COMIMP003:Complete()|};
                }
                finally
                {
                    _security.RevertToSelf();
                }

                void Complete() => _sync.Signal();
                """);
        }

        [Fact]
        public Task Local_function_that_signals_called_after_the_revert_is_quiet()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                }
                finally
                {
                    _security.RevertToSelf();
                }

                Complete();

                void Complete() => _sync.Signal();
                """);
        }

        [Fact]
        public Task Signal_while_impersonating_inside_a_lambda_is_reported_there()
        {
            return Ole32.VerifyAsync(
                """
                _work = () =>
                {
                    if (NativeMethods.CoImpersonateClient() < 0) return;
                    try
                    {
                        {|COMIMP003:_sync.Signal()|};
                    }
                    finally
                    {
                        NativeMethods.CoRevertToSelf();
                    }
                };
                """,
                "    private System.Action _work;");
        }

        [Fact]
        public Task Signal_through_the_base_interface_of_ISynchronizeMutex_while_impersonating()
        {
            Flavour mutex = Flavours.Get("ComImport.ISynchronizeMutex");
            return mutex.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    {|COMIMP003:((ISynchronize)_mutex).Signal()|};
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Signal_through_a_helper_method_while_impersonating()
        {
            return ComImport.VerifyAsync(
                """
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    {|COMIMP003:Complete()|};
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """,
                """
                    private void Complete()
                    {
                        Work();
                        _sync.Signal();
                    }
                """);
        }
    }
}
