using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes.Fixes;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// The fixes on the Windows impersonation APIs beyond COM: "Revert in finally" writes the impersonation's own
    /// family's revert (RevertToSelf for advapi32 even where the class also declares CoRevertToSelf, RpcRevertToSelf
    /// for rpcrt4, <c>context.Undo()</c> for WindowsIdentity), ending the process where the revert fails;
    /// "Throw on failure" checks a BOOL with
    /// <c>if (!…) throw new Win32Exception();</c> and an RPC_STATUS by its value.
    /// </summary>
    public class OtherImpersonationApisFixTests
    {
        public static TheoryData<string> AllFlavours => TokenFlavours.Names;

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Revert_in_finally_uses_the_family_revert(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, "{|COMIMP002:" + f.Impersonate + "|}")}}
                        if (_flag)
                        {
                            {{f.RevertStatement}}
                            return;
                        }

                        // the work
                        Work();
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            if (_flag)
                            {
                                {{f.RevertStatement}}
                                return;
                            }

                            // the work
                            Work();
                        }
                        finally
                        {
                            {{RevertWrittenBy(f)}}
                        }
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Revert_after_the_work_moves_into_finally(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, "{|COMIMP007:" + f.Impersonate + "|}")}}
                        Work();
                        {{f.RevertStatement}}
                        Log(2);
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        Log(2);
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task A_signal_does_not_end_the_region_of_an_impersonation_it_does_not_complete(string name)
        {
            // Signal completes the COM call context only: a token stays on the thread across it, so the code after the
            // signal still runs impersonated and stays in the try.
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, "{|COMIMP007:" + f.Impersonate + "|}")}}
                        Work();
                        {{f.SignalStatement}}
                        Log(1);
                        {{f.RevertStatement}}
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            Work();
                            {{f.SignalStatement}}
                            Log(1);
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(AllFlavours))]
        public Task Throw_on_failure_checks_the_result_in_its_own_convention(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {|COMIMP004:{{f.Impersonate}}|}; // impersonate
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                {{ThrowOnFailure(f, f.Impersonate, " // impersonate")}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """));
        }

        [Fact]
        public Task Throw_on_failure_checks_a_result_that_is_never_read()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, """
                    public void Serve()
                    {
                        bool impersonated = {|COMIMP004:NativeMethods.ImpersonateLoggedOnUser(_token)|};
                        try { Work(); } finally { NativeMethods.RevertToSelf(); }
                    }
                """),
                TokenCode.Class(f, """
                    public void Serve()
                    {
                        bool impersonated = NativeMethods.ImpersonateLoggedOnUser(_token);
                        if (!impersonated)
                        {
                            throw new Win32Exception();
                        }
                        try { Work(); } finally { NativeMethods.RevertToSelf(); }
                    }
                """));
        }

        [Fact]
        public Task Throw_on_failure_picks_a_status_name_nothing_else_uses()
        {
            Flavour f = TokenFlavours.Get("Rpc.DllImport");
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, """
                    public void Serve(int status)
                    {
                        {|COMIMP004:Rpc.RpcImpersonateClient(IntPtr.Zero)|};
                        try { Log(status); } finally { Rpc.RpcRevertToSelf(); }
                    }
                """),
                TokenCode.Class(f, """
                    public void Serve(int status)
                    {
                        var status2 = Rpc.RpcImpersonateClient(IntPtr.Zero);
                        if (status2 != 0)
                        {
                            throw new Win32Exception(status2);
                        }
                        try { Log(status); } finally { Rpc.RpcRevertToSelf(); }
                    }
                """));
        }

        [Fact]
        public Task Throw_on_failure_is_not_offered_where_no_statement_can_go()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return VerifyFix.NotOfferedAsync<ThrowOnFailureCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, """
                    private void Impersonate() => {|COMIMP004:NativeMethods.ImpersonateLoggedOnUser(_token)|};

                    public void Serve()
                    {
                        Impersonate();
                        try { Work(); } finally { NativeMethods.RevertToSelf(); }
                    }
                """));
        }

        [Fact]
        public Task WindowsIdentity_context_is_undone_in_finally()
        {
            return NetFramework.FixAsync<RevertInFinallyCodeFixProvider>(
                """
                using System.Security.Principal;

                class Service
                {
                    private void Work() { }

                    public void Serve(WindowsIdentity identity)
                    {
                        var context = {|COMIMP007:identity.Impersonate()|};
                        Work();
                        context.Undo();
                    }

                    public void Forget(WindowsIdentity identity, bool early)
                    {
                        WindowsImpersonationContext context = {|COMIMP002:identity.Impersonate()|};
                        if (early)
                        {
                            context.Undo();
                            return;
                        }

                        Work();
                    }
                }
                """,
                """
                using System.Security.Principal;

                class Service
                {
                    private void Work() { }

                    public void Serve(WindowsIdentity identity)
                    {
                        var context = identity.Impersonate();
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            context.Undo();
                        }
                    }

                    public void Forget(WindowsIdentity identity, bool early)
                    {
                        WindowsImpersonationContext context = identity.Impersonate();
                        try
                        {
                            if (early)
                            {
                                context.Undo();
                                return;
                            }

                            Work();
                        }
                        finally
                        {
                            context.Undo();
                        }
                    }
                }
                """);
        }

        /// <summary>The revert the fix writes, acting on its result, inside the <c>finally</c>.</summary>
        private static string RevertWrittenBy(Flavour f) => FixCode.WrittenTokenRevert(f, FixCode.Body + "    ");

        private static string ThrowOnFailure(Flavour f, string call, string comment)
        {
            const string Indent = "        ";
            if (f.Name.StartsWith("Rpc.", System.StringComparison.Ordinal))
            {
                string code = f.Name == "Rpc.CsWin32" ? "unchecked((int)status)" : "status";
                return Indent + "var status = " + call + ";" + comment + "\n"
                    + Indent + "if (status != 0)\n" + Indent + "{\n" + Indent + "    throw new Win32Exception(" + code + ");\n" + Indent + "}";
            }

            string condition = f.Name is "Win32.IntBool" or "Win32.LibraryImport" ? call + " == 0" : "!" + call;
            return Indent + "if (" + condition + ")" + comment + "\n" + Indent + "{\n" + Indent + "    throw new Win32Exception();\n" + Indent + "}";
        }
    }
}
