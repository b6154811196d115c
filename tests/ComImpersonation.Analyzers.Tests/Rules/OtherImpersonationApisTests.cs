using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// The Windows impersonation APIs beyond the COM call context (advapi32, user32, rpcrt4): COMIMP002, 004,
    /// 006 (the await forms; the hand-off forms only where the API needs the dispatching thread) and 007 apply
    /// to them as to COM, branch-sensitively, through wrappers; the Signal rules (001, 003, 005) do not.
    /// </summary>
    public class OtherImpersonationApisTests
    {
        public static TheoryData<string> AllFlavours => TokenFlavours.Names;

        public static TheoryData<string> AsyncFlavours => TokenFlavours.AsyncNames;

        public static TheoryData<string> ExplicitTokenFlavours => TokenFlavours.ExplicitTokenNames;

        private static Flavour LogonUser => TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");

        private static Flavour Rpc => TokenFlavours.Get("Rpc.DllImport");

        // ---------------------------------------------------------------------------------------------
        // COMIMP002 / COMIMP007
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Return_before_the_revert_is_COMIMP002(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, "{|#0:" + f.Impersonate + "|}")}}
                        if (_flag)
                        {
                            {|#1:return;|}
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            return TokenCode.VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, Flavours.LineOf(TokenCode.Class(f, members), "{|#1:"), "", ""));
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Revert_in_finally_after_the_failure_check_is_quiet(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    public void Serve()
                    {
                        if ({{f.Failed(f.Impersonate)}})
                        {
                            throw new Win32Exception(Marshal.GetLastWin32Error());
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Failure_branch_needs_no_revert(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    public void Serve()
                    {
                        var ok = {{f.Impersonate}};
                        if ({{f.Failed("ok")}})
                        {
                            Log("cannot impersonate");
                            return;
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Revert_after_the_work_is_COMIMP007(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, "{|#0:" + f.Impersonate + "|}")}}
                        {|#1:Work()|};
                        {|#2:{{f.Revert}}|};
                    }
                """;
            string source = TokenCode.Class(f, members);
            return TokenCode.VerifyAsync(
                f,
                members,
                new Microsoft.CodeAnalysis.Testing.DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(0).WithLocation(1).WithLocation(2)
                    .WithArguments(f.ImpersonateName, "Work()", Flavours.LineOf(source, "{|#1:"), " at line " + Flavours.LineOf(source, "{|#2:"), ""));
        }

        // ---------------------------------------------------------------------------------------------
        // COMIMP004
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Discarded_result_is_COMIMP004(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    public void Serve()
                    {
                        {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                Verify.Diagnostic("COMIMP004").WithLocation(0).WithArguments(f.ImpersonateName, "it is discarded", ""));
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Result_never_read_is_COMIMP004(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        var ok = {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    {|#1:}|}
                """;
            return TokenCode.VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated("COMIMP004").WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'ok' and never read before the method returns at line " + Flavours.LineOf(TokenCode.Class(f, members), "{|#1:"), ""));
        }

        [Fact]
        public Task Throwing_on_the_last_error_acts_on_the_result()
        {
            Flavour f = TokenFlavours.Get("Win32.Vanara");
            return TokenCode.VerifyAsync(f, """
                    public void Serve()
                    {
                        Win32Error.ThrowLastErrorIfFalse(AdvApi32.ImpersonateLoggedOnUser(new HTOKEN(_token)));
                        try { Work(); } finally { AdvApi32.RevertToSelf(); }
                    }

                    public void ServeWithAFlag()
                    {
                        bool impersonated = AdvApi32.ImpersonateLoggedOnUser(HTOKEN.NULL);
                        if (impersonated == false)
                        {
                            throw new Win32Exception(Marshal.GetLastWin32Error());
                        }

                        try { Work(); } finally { AdvApi32.RevertToSelf(); }
                    }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // COMIMP006
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(AsyncFlavours))]
        public Task Impersonation_active_across_an_await_is_COMIMP006(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            string source = TokenCode.Class(f, $$"""
                    public async Task ServeAsync()
                    {
                        {{TokenCode.Checked(f, "{|#0:" + f.Impersonate + "|}")}}
                        try
                        {
                            await Task.Delay(10);
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
            string note = f.Name.StartsWith("Rpc.", System.StringComparison.Ordinal) ? Comimp006Tests.CallContextNote : "";
            return Verify.AnalyzerAsync(
                f.Sources(source),
                Verify.Diagnostic("COMIMP006").WithLocation(0).WithArguments(
                    f.ImpersonateName,
                    "and stays active across the 'await' at line " + Flavours.LineOf(source, "await Task.Delay(10);")
                        + ": the revert may run on another thread while this one keeps the impersonated token" + note,
                    ""));
        }

        [Theory]
        [MemberData(nameof(ExplicitTokenFlavours))]
        public Task An_explicit_token_may_be_impersonated_after_an_await_and_on_a_worker_thread(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            string body = $$"""
                        if ({{f.Failed(f.Impersonate)}})
                        {
                            throw new Win32Exception();
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                """;
            string asyncMember = f.ClassModifiers.Length == 0
                ? $$"""
                    public async Task ServeAsync()
                    {
                        await Task.Yield();
                {{body}}
                    }
                """
                : "";
            return TokenCode.VerifyAsync(f, $$"""
                {{asyncMember}}

                    public void Queue()
                    {
                        Task.Run(() =>
                        {
                {{body}}
                        });
                        ThreadPool.QueueUserWorkItem(_ => Serve());
                    }

                    private void Serve()
                    {
                {{body}}
                    }
                """);
        }

        [Fact]
        public Task RpcImpersonateClient_without_a_binding_needs_the_dispatching_thread()
        {
            Flavour f = Rpc;
            return TokenCode.VerifyAsync(f, """
                    public async Task ServeAsync()
                    {
                        await Task.Yield();
                        if ({|#0:Rpc.RpcImpersonateClient(IntPtr.Zero)|} != 0) return;
                        try { Work(); } finally { Rpc.RpcRevertToSelf(); }
                    }

                    public void Queue(IntPtr binding)
                    {
                        Task.Run(() =>
                        {
                            if ({|#1:Rpc.RpcImpersonateClient(default)|} != 0) return;
                            try { Work(); } finally { Rpc.RpcRevertToSelf(); }
                        });

                        // With the call's binding handle, the impersonation names its client explicitly.
                        Task.Run(() =>
                        {
                            if (Rpc.RpcImpersonateClient(binding) != 0) return;
                            try { Work(); } finally { Rpc.RpcRevertToSelfEx(binding); }
                        });
                    }
                """,
                Verify.Diagnostic("COMIMP006").WithLocation(0).WithArguments(
                    "RpcImpersonateClient", "after the 'await' at line 21, which may resume on another thread" + Comimp006Tests.CallContextNote,
                    ""),
                Verify.Diagnostic("COMIMP006").WithLocation(1).WithArguments(
                    "RpcImpersonateClient", "in a delegate handed to 'Task.Run' (line 28), which runs it on another thread" + Comimp006Tests.CallContextNote,
                    ""));
        }

        // ---------------------------------------------------------------------------------------------
        // Not the Signal rules
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Signal_rules_do_not_apply(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.SignalStatement}}
                        if ({{f.Failed(f.Impersonate)}}) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Begin_Other()
                    {
                        if ({{f.Failed(f.Impersonate)}}) return;
                        try
                        {
                            {{f.SignalStatement}}
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }

                    public void Finish_Work()
                    {
                        if ({{f.Failed(f.Impersonate)}}) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Recognition: entry points, not names
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task A_user_method_named_RevertToSelf_is_not_a_revert()
        {
            Flavour f = LogonUser;
            return TokenCode.VerifyAsync(f, """
                    private static bool RevertToSelf() => true;

                    public void Serve()
                    {
                        if (!{|#0:NativeMethods.ImpersonateLoggedOnUser(_token)|}) return;
                        if (_flag)
                        {
                            NativeMethods.RevertToSelf();
                            return;
                        }

                        Work();
                        RevertToSelf(); // the class's own method, not advapi32's
                    }
                """,
                Verify.Diagnostic("COMIMP002").WithLocation(0).WithArguments("ImpersonateLoggedOnUser", 32, "", ""));
        }

        [Fact]
        public Task Methods_named_like_the_apis_that_are_not_their_entry_points_are_not_recognised()
        {
            Flavour f = LogonUser;
            return TokenCode.VerifyAsync(f, """
                    private static bool ImpersonateLoggedOnUser(IntPtr token) => token != IntPtr.Zero;

                    [DllImport("mytokens.dll")]
                    private static extern bool ImpersonateNamedPipeClient(IntPtr pipe);

                    [DllImport("advapi32.dll", EntryPoint = "LogonUserW")]
                    private static extern bool ImpersonateSelf(IntPtr token);

                    public void Serve()
                    {
                        ImpersonateLoggedOnUser(_token);
                        ImpersonateNamedPipeClient(_handle);
                        ImpersonateSelf(_token);
                    }
                """);
        }

        [Fact]
        public Task SetThreadToken_with_no_token_reverts_in_every_spelling()
        {
            Flavour f = TokenFlavours.Get("Win32.SetThreadToken");
            return TokenCode.VerifyAsync(f, """
                    public void Serve(int spelling)
                    {
                        if (!NativeMethods.SetThreadToken(IntPtr.Zero, _token)) return;
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            switch (spelling)
                            {
                                case 0: NativeMethods.SetThreadToken(IntPtr.Zero, IntPtr.Zero); break;
                                case 1: NativeMethods.SetThreadToken(IntPtr.Zero, default); break;
                                case 2: NativeMethods.SetThreadToken(IntPtr.Zero, (IntPtr)0); break;
                                case 3: NativeMethods.SetThreadToken(IntPtr.Zero, 0); break;
                                default: NativeMethods.RevertToSelf(); break;
                            }
                        }
                    }
                """);
        }

        [Fact]
        public Task SetThreadToken_with_the_token_OpenThreadToken_saved_restores_it()
        {
            Flavour f = TokenFlavours.Get("Win32.SetThreadToken");
            return TokenCode.VerifyAsync(f, """
                    public void Serve()
                    {
                        if (!NativeMethods.OpenThreadToken(NativeMethods.GetCurrentThread(), 4, true, out IntPtr saved))
                        {
                            saved = IntPtr.Zero;
                        }

                        if (!NativeMethods.SetThreadToken(IntPtr.Zero, _token)) return;
                        try { Work(); } finally { if (!NativeMethods.SetThreadToken(IntPtr.Zero, saved)) Environment.FailFast("restore"); }
                    }

                    public void Swap(IntPtr other)
                    {
                        // Not a saved token: another impersonation, which nothing reverts.
                        if (!NativeMethods.SetThreadToken(IntPtr.Zero, _token)) return;
                        try { Work(); } finally { NativeMethods.SetThreadToken(IntPtr.Zero, IntPtr.Zero); }
                        if (!{|#0:NativeMethods.SetThreadToken(IntPtr.Zero, other)|}) return;
                        if (_flag) NativeMethods.RevertToSelf();
                    }
                """,
                Verify.Diagnostic("COMIMP002").WithLocation(0).WithArguments("SetThreadToken", 37, "", ""));
        }

        [Fact]
        public Task CsWin32_SetThreadToken_with_HANDLE_Null_reverts()
        {
            Flavour f = TokenFlavours.Get("Win32.CsWin32");
            return TokenCode.VerifyAsync(f, """
                    public unsafe void Serve()
                    {
                        if (!PInvoke.SetThreadToken(null, (HANDLE)_token)) return;
                        try { Work(); } finally { PInvoke.SetThreadToken(null, HANDLE.Null); }
                    }

                    public unsafe void Leak()
                    {
                        if (!{|#0:PInvoke.SetThreadToken(null, (HANDLE)_token)|}) return;
                        if (_flag)
                        {
                            PInvoke.RevertToSelf();
                            return;
                        }

                        Work();
                    }
                """,
                Verify.Diagnostic("COMIMP002").WithLocation(0).WithArguments("SetThreadToken", 36, "", ""));
        }

        // ---------------------------------------------------------------------------------------------
        // Through the code base
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task A_wrapper_is_an_impersonation_for_its_callers()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateNamedPipeClient");
            const string Inside = " (which impersonates with 'ImpersonateNamedPipeClient' at line 19)";
            return TokenCode.VerifyAsync(f, """
                    private bool ImpersonatePipeClient() => NativeMethods.ImpersonateNamedPipeClient(_handle);

                    private static void StopImpersonating() => NativeMethods.RevertToSelf();

                    public void Serve()
                    {
                        if (!ImpersonatePipeClient()) return;
                        try { Work(); } finally { StopImpersonating(); }
                    }

                    public void Forget()
                    {
                        {|#0:ImpersonatePipeClient()|};
                        Work();
                        if (_flag)
                        {
                            StopImpersonating();
                        }
                    }
                """,
                Verify.Diagnostic("COMIMP004").WithLocation(0).WithArguments("ImpersonatePipeClient", "it is discarded", Inside),
                Verify.Diagnostic("COMIMP002").WithLocation(0).WithArguments("ImpersonatePipeClient", 37, "", Inside));
        }

        [Fact]
        public Task Int_BOOL_zero_test_is_its_failure_test()
        {
            Flavour f = TokenFlavours.Get("Win32.IntBool");
            return TokenCode.VerifyAsync(f, """
                    public void Serve()
                    {
                        int ok = Win32.ImpersonateLoggedOnUser(_token);
                        if (ok != 0)
                        {
                            try { Work(); } finally { Win32.RevertToSelf(); }
                        }
                    }

                    public void Inverted()
                    {
                        // Read as an HRESULT, `!= 0` would be the failure test: the success branch returns without reverting.
                        if ({|#0:Win32.ImpersonateLoggedOnUser(_token)|} != 0)
                        {
                            return;
                        }

                        Win32.RevertToSelf();
                    }

                    public void Ordered()
                    {
                        // `< 0` says nothing about a BOOL: both branches may be impersonating.
                        if ({|#1:Win32.ImpersonateLoggedOnUser(_token)|} < 0)
                        {
                            return;
                        }

                        try { Work(); } finally { Win32.RevertToSelf(); }
                    }
                """,
                Verify.Diagnostic("COMIMP002").WithLocation(0).WithArguments("ImpersonateLoggedOnUser", 33, "", ""),
                Verify.Diagnostic("COMIMP002").WithLocation(1).WithArguments("ImpersonateLoggedOnUser", 44, "", ""));
        }
    }
}
