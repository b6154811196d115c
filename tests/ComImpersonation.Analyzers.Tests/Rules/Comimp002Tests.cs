using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// COMIMP002: a successful impersonation that a normal return may leave on the thread, reported at the
    /// impersonation call. Failure branches are excluded, and so are the paths that hand the impersonation to the
    /// caller (SPEC §2; see HandOffTests).
    /// </summary>
    public class Comimp002Tests
    {
        private static readonly Flavour ComImport = Flavours.Get("ComImport");
        private static readonly Flavour Ole32 = Flavours.Get("DllImport.ole32");
        private static readonly Flavour Throwing = Flavours.Get("ComImport.Throwing");

        public static TheoryData<string> AllFlavours => Flavours.Names;

        public static TheoryData<string> ImpersonationDecoys => Flavours.ImpersonationDecoyNames;

        // ---------------------------------------------------------------------------------------------
        // Every flavour
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Revert_on_one_path_only_is_reported(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                if (_flag)
                {
                    {{f.RevertStatement}}
                    return;
                }

                Work();
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Impersonation_on_some_paths_without_revert_is_reported(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                if (_flag)
                {
                    {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                }

                Work();
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Return_on_success_path_before_the_revert_is_reported(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                Work();
                if (_flag) return;
                {{f.RevertStatement}}
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Result_held_by_a_pattern_variable_and_checked_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        if ({{f.Imp()}} is var hr && {{f.Failed("hr")}}) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Revert_in_finally_with_failure_check_is_quiet(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp())}}
                try
                {
                    Work();
                    if (_flag) return;
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
        public Task Revert_on_every_path_is_quiet(string name)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp())}}
                if (_flag)
                {
                    {{f.RevertStatement}}
                    return;
                }

                {{f.RevertStatement}}
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Impersonation_wrapper_is_exempt(string name)
        {
            // ImpersonateCaller impersonates on every path that returns normally and never reverts: its caller
            // answers for the revert (and does revert).
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync(
                $$"""
                ImpersonateCaller();
                try
                {
                    Work();
                }
                finally
                {
                    {{f.RevertStatement}}
                }
                """,
                $$"""
                    private void ImpersonateCaller()
                    {
                        {{f.ImpersonateOrThrow(f.Imp())}}
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Begin_method_that_impersonates_and_never_reverts_is_not_a_wrapper(string name)
        {
            // COM calls Begin_ methods; no caller of theirs can revert.
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateOrThrow(f.Imp("COMIMP002"))}}
                Work();
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Message_names_the_impersonation(string name)
        {
            Flavour f = Flavours.Get(name);
            string source = f.CallObject($$"""
                {{f.ImpersonateChecked(f.Imp("#0"))}}
                switch (_mode)
                {
                    case 0:
                        {{f.RevertStatement}}
                        break;
                    default:
                        {|#1:return;|}
                }
                """);
            return Verify.AnalyzerAsync(
                f.Sources(source),
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Flavours.LineOf(source, "{|#1:return;|}"), "", ""));
        }

        [Theory]
        [MemberData(nameof(ImpersonationDecoys))]
        public Task Look_alikes_are_not_recognised(string name)
        {
            // With the real API this body is COMIMP002.
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                {{f.ImpersonateChecked(f.Imp())}}
                if (_flag)
                {
                    {{f.RevertStatement}}
                    return;
                }

                Work();
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Failure checks (SPEC §2 "Results"): the failure branch returns without a revert and is not reported.
        // If the check were not understood, the failure branch would be a path that returns impersonating.
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("ComImport", "hr < 0")]
        [InlineData("ComImport", "0 > hr")]
        [InlineData("ComImport", "hr != 0")]
        [InlineData("ComImport", "!(hr >= 0)")]
        [InlineData("ComImport", "!(hr == 0)")]
        [InlineData("ComImport", "hr is < 0")]
        [InlineData("ComImport", "hr is not 0")]
        [InlineData("ComImport", "hr is not >= 0")]
        [InlineData("DllImport.ApiSet", "hr != 0")]
        [InlineData("DllImport.ApiSet", "hr != 0u")]
        [InlineData("TerraFX", "FAILED(hr)")]
        [InlineData("TerraFX", "!SUCCEEDED(hr)")]
        [InlineData("TerraFX", "hr < S_OK")]
        [InlineData("CsWin32.PInvoke", "hr.Failed")]
        [InlineData("CsWin32.PInvoke", "!hr.Succeeded")]
        [InlineData("CsWin32.PInvoke", "hr != HRESULT.S_OK")]
        [InlineData("CsWin32.PInvoke", "hr.Value < 0")]
        [InlineData("CsWin32.PInvoke", "hr < 0")]
        [InlineData("Vanara.Ole32", "hr.Failed")]
        [InlineData("Vanara.Ole32", "!hr.Succeeded")]
        [InlineData("GeneratedComInterface", "hr < 0")]
        public Task Return_on_the_failure_branch_is_not_reported(string name, string failed)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                var hr = {{f.Imp()}};
                if ({{failed}}) return;
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
        [InlineData("ComImport", "hr >= 0")]
        [InlineData("ComImport", "hr == 0")]
        [InlineData("ComImport", "hr is >= 0")]
        [InlineData("ComImport", "hr is 0")]
        [InlineData("TerraFX", "SUCCEEDED(hr)")]
        [InlineData("CsWin32.PInvoke", "hr.Succeeded")]
        [InlineData("CsWin32.PInvoke", "hr == HRESULT.S_OK")]
        [InlineData("Vanara.Ole32", "hr.Succeeded")]
        public Task Success_branch_reverts_and_failure_branch_does_not_need_to(string name, string succeeded)
        {
            Flavour f = Flavours.Get(name);
            return f.VerifyAsync($$"""
                var hr = {{f.Imp()}};
                if ({{succeeded}})
                {
                    try
                    {
                        Work();
                    }
                    finally
                    {
                        {{f.RevertStatement}}
                    }
                }
                else
                {
                    Work();
                }
                """);
        }

        [Fact]
        public Task Direct_test_of_the_call_with_else_branch_is_quiet()
        {
            Flavour renamed = Flavours.Get("DllImport.EntryPoint");
            return renamed.VerifyAsync("""
                if (NativeMethods.Impersonate() >= 0)
                {
                    try { Work(); } finally { NativeMethods.Revert(); }
                }
                else
                {
                    Work();
                }
                """);
        }

        [Fact]
        public Task Direct_test_of_the_call_with_return_on_success_path_is_reported()
        {
            Flavour renamed = Flavours.Get("DllImport.EntryPoint");
            return renamed.VerifyAsync("""
                if ({|COMIMP002:NativeMethods.Impersonate()|} >= 0)
                {
                    Work();
                    if (_flag) return;
                    NativeMethods.Revert();
                }
                else
                {
                    Work();
                }
                """);
        }

        [Fact]
        public Task Checking_the_success_direction_then_returning_is_reported()
        {
            return ComImport.VerifyAsync("""
                var hr = {|COMIMP002:_security.ImpersonateClient()|};
                if (hr >= 0) return;
                _security.RevertToSelf();
                """);
        }

        [Fact]
        public Task Check_of_an_overwritten_result_is_not_a_failure_check()
        {
            // The result is never read (COMIMP004), and the check tests something else: its "failure" branch
            // returns with the impersonation active.
            return ComImport.VerifyAsync("""
                int hr = {|COMIMP002:{|COMIMP004:_security.ImpersonateClient()|}|};
                hr = _mode;
                if (hr < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Result_copied_to_another_local_and_checked_there()
        {
            return ComImport.VerifyAsync("""
                int hr = _security.ImpersonateClient();
                int result = hr;
                if (result < 0) return;
                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task Failure_check_that_does_not_leave_is_followed_by_the_success_path()
        {
            return ComImport.VerifyAsync("""
                int hr = {|COMIMP002:_security.ImpersonateClient()|};
                if (hr < 0) Work();
                if (_flag) return;
                _security.RevertToSelf();
                """);
        }

        [Fact]
        public Task Marshal_ThrowExceptionForHR_caught_and_returned_is_quiet()
        {
            return ComImport.VerifyAsync("""
                try
                {
                    int hr = _security.ImpersonateClient();
                    System.Runtime.InteropServices.Marshal.ThrowExceptionForHR(hr);
                }
                catch (System.Runtime.InteropServices.COMException)
                {
                    return;
                }

                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        [Fact]
        public Task CsWin32_ThrowOnFailure_caught_and_returned_is_quiet()
        {
            Flavour f = Flavours.Get("CsWin32.PInvoke");
            return f.VerifyAsync("""
                try
                {
                    PInvoke.CoImpersonateClient().ThrowOnFailure();
                }
                catch (System.Runtime.InteropServices.COMException)
                {
                    return;
                }

                try { Work(); } finally { PInvoke.CoRevertToSelf(); }
                """);
        }

        [Fact]
        public Task Vanara_ThrowIfFailed_caught_and_returned_is_quiet()
        {
            Flavour f = Flavours.Get("Vanara.Ole32");
            return f.VerifyAsync("""
                try
                {
                    HRESULT hr = CoImpersonateClient();
                    hr.ThrowIfFailed();
                }
                catch (System.Runtime.InteropServices.COMException)
                {
                    return;
                }

                try { Work(); } finally { CoRevertToSelf(); }
                """);
        }

        [Fact]
        public Task Throwing_projection_caught_and_returned_is_quiet()
        {
            return Throwing.VerifyAsync("""
                try
                {
                    _security.ImpersonateClient();
                }
                catch (System.Runtime.InteropServices.COMException)
                {
                    return;
                }

                try { Work(); } finally { _security.RevertToSelf(); }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Control flow
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Switch_section_that_returns_without_revert()
        {
            return Ole32.VerifyAsync("""
                if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return;
                switch (_mode)
                {
                    case 0:
                        Work();
                        NativeMethods.CoRevertToSelf();
                        break;
                    case 1:
                        return;
                    default:
                        NativeMethods.CoRevertToSelf();
                        break;
                }
                """);
        }

        [Fact]
        public Task Switch_with_revert_in_every_section_is_quiet()
        {
            return Ole32.VerifyAsync("""
                if (NativeMethods.CoImpersonateClient() < 0) return;
                switch (_mode)
                {
                    case 0:
                        NativeMethods.CoRevertToSelf();
                        break;
                    case 1:
                        NativeMethods.CoRevertToSelf();
                        return;
                    default:
                        NativeMethods.CoRevertToSelf();
                        break;
                }
                """);
        }

        [Fact]
        public Task Catch_that_swallows_skips_the_revert_in_try()
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
                    Work();
                }
                """);
        }

        [Fact]
        public Task Catch_that_swallows_followed_by_revert_is_quiet()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    Work();
                }
                catch (System.InvalidOperationException)
                {
                    Work();
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Nested_try_finally_with_revert_in_the_outer_finally_is_quiet()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    try
                    {
                        Work();
                        if (_flag) return;
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
        public Task Return_from_an_inner_try_whose_finally_does_not_revert()
        {
            return ComImport.VerifyAsync("""
                if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                try
                {
                    if (_flag) return;
                    Work();
                }
                finally
                {
                    Work();
                }

                _security.RevertToSelf();
                """);
        }

        [Fact]
        public Task Break_out_of_the_loop_before_the_revert()
        {
            return Ole32.VerifyAsync("""
                for (int i = 0; i < 3; i++)
                {
                    if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} != 0) return;
                    if (i == _mode) break;
                    NativeMethods.CoRevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Loop_with_revert_in_finally_is_quiet()
        {
            return Ole32.VerifyAsync("""
                for (int i = 0; i < 3; i++)
                {
                    if (NativeMethods.CoImpersonateClient() != 0) return;
                    try
                    {
                        if (i == _mode) break;
                        Work();
                    }
                    finally
                    {
                        NativeMethods.CoRevertToSelf();
                    }
                }
                """);
        }

        [Fact]
        public Task Goto_that_skips_the_revert()
        {
            return Ole32.VerifyAsync("""
                if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return;
                if (_flag) goto done;
                NativeMethods.CoRevertToSelf();
                done:
                Work();
                """);
        }

        [Fact]
        public Task Goto_into_the_reverting_finally_path_is_quiet()
        {
            return Ole32.VerifyAsync("""
                if (NativeMethods.CoImpersonateClient() < 0) return;
                try
                {
                    if (_flag) goto done;
                    Work();
                }
                finally
                {
                    NativeMethods.CoRevertToSelf();
                }

                done:
                Work();
                """);
        }

        [Fact]
        public Task Return_inside_a_using_block_before_the_revert()
        {
            return ComImport.VerifyAsync("""
                using (var stream = new System.IO.MemoryStream())
                {
                    if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                    if (stream.Length == 0) return;
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Using_block_inside_the_reverting_try_is_quiet()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    using (var stream = new System.IO.MemoryStream())
                    {
                        if (stream.Length == 0) return;
                        stream.WriteByte(1);
                    }
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Return_inside_a_lock_before_the_revert()
        {
            return ComImport.VerifyAsync("""
                lock (_gate)
                {
                    if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                    if (_flag) return;
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Lock_inside_the_reverting_try_is_quiet()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    lock (_gate)
                    {
                        if (_flag) return;
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
        public Task Throw_on_the_success_path_is_not_a_normal_return()
        {
            return ComImport.VerifyAsync("""
                if (_security.ImpersonateClient() < 0) return;
                try
                {
                    if (_flag) throw new System.InvalidOperationException();
                    Work();
                }
                finally
                {
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Unreachable_impersonation_is_not_reported()
        {
            return ComImport.VerifyAsync("""
                Work();
                return;
                if (_security.ImpersonateClient() < 0) return;
                if (_flag) return;
                _security.RevertToSelf();
                """);
        }

        [Fact]
        public Task Each_unreverted_impersonation_is_reported()
        {
            return Ole32.VerifyAsync("""
                if (_flag)
                {
                    if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return;
                }
                else
                {
                    if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                }

                if (_mode == 0) return;
                NativeMethods.CoRevertToSelf();
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Wrappers, lambdas and local functions
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Wrapper_that_returns_the_result_is_exempt()
        {
            return Verify.AnalyzerAsync(Ole32.Sources("""
                static class Identity
                {
                    public static int ImpersonateCaller() => NativeMethods.CoImpersonateClient();

                    public static int ImpersonateCallerChecked()
                    {
                        int hr = NativeMethods.CoImpersonateClient();
                        if (hr < 0) throw new System.UnauthorizedAccessException();
                        return hr;
                    }
                }
                """));
        }

        [Fact]
        public Task Method_that_impersonates_on_some_paths_and_works_there_is_not_a_wrapper()
        {
            // SPEC §2: a path that only starts the impersonation hands it off (HandOffTests); one that works as the
            // client after it, whichever other paths there are, leaks.
            return Verify.AnalyzerAsync(Ole32.Sources("""
                static class Identity
                {
                    public static void MaybeImpersonate(bool asClient)
                    {
                        if (!asClient) return;
                        int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
                        if (hr < 0) throw new System.UnauthorizedAccessException();
                        System.Console.WriteLine("as the client");
                    }
                }
                """));
        }

        [Fact]
        public Task Unreverted_path_inside_a_lambda_is_reported_there()
        {
            return ComImport.VerifyAsync(
                """
                _work = () =>
                {
                    if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                    if (_flag) return;
                    _security.RevertToSelf();
                };
                """,
                "    private System.Action _work;");
        }

        [Fact]
        public Task Unreverted_path_inside_a_local_function_is_reported_there()
        {
            return ComImport.VerifyAsync("""
                AsClient();

                void AsClient()
                {
                    if ({|COMIMP002:_security.ImpersonateClient()|} < 0) return;
                    if (_flag) return;
                    _security.RevertToSelf();
                }
                """);
        }

        [Fact]
        public Task Throwing_projection_reverted_on_one_branch_only()
        {
            return Throwing.VerifyAsync("""
                {|COMIMP002:_security.ImpersonateClient()|};
                switch (_mode)
                {
                    case 0:
                        _security.RevertToSelf();
                        return;
                    case 1:
                        return;
                }

                _security.RevertToSelf();
                """);
        }
    }
}
