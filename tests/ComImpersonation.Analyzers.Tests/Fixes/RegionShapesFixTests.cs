using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes.Fixes;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// Issue 16: "Revert in finally" and "Revert before Signal" on the shapes people write. A region never stops at
    /// the end of an inner block when impersonated code follows it (the fix is not offered: the fixed program
    /// would run that code reverted); the statement "Throw on failure" writes (<c>Marshal.ThrowExceptionForHR(…)</c>,
    /// <c>….ThrowOnFailure()</c>, <c>if (r == 0) throw …</c> for a BOOL declared as int) is read as the
    /// impersonation and its failure check, so the two fixes chain in every result shape. Every test also checks,
    /// through <see cref="VerifyFix"/>, that what ran impersonated before the fix still does.
    /// </summary>
    public class RegionShapesFixTests
    {
        public static TheoryData<string> TokenNames => TokenFlavours.Names;

        // -------------------------------------------------------------------------------------------------------
        // Never stop at the end of an inner block when impersonated code follows it
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Not_offered_when_impersonated_code_follows_the_inner_block(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        lock (this)
                        {
                            {{FixCode.Checked(f, f.Imp("COMIMP007"), FixCode.Body + "    ")}}
                            Work();
                        }

                        Log(1);
                        {{f.RevertStatement}}
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(TokenNames))]
        public Task Not_offered_when_impersonated_code_follows_the_inner_block_of_a_token_impersonation(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        lock (this)
                        {
                            {{TokenCode.Checked(f, "{|COMIMP007:" + f.Impersonate + "|}", FixCode.Body + "    ")}}
                            Work();
                        }

                        Log(1);
                        {{f.RevertStatement}}
                    }
                """));
        }

        [Fact]
        public Task Not_offered_when_the_client_token_is_read_after_the_using_block()
        {
            // The named-pipe server of issue 16: reverting at the end of the using block would open the server's
            // own thread token (there would be none) instead of the client's.
            Flavour f = TokenFlavours.Get("Win32.ImpersonateNamedPipeClient");
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, TokenCode.Class(f, """
                    public bool Serve(System.IO.Stream reader)
                    {
                        using (reader)
                        {
                            reader.ReadByte();
                            if (!{|COMIMP007:NativeMethods.ImpersonateNamedPipeClient(_handle)|}) return false;
                            Log(1);
                        }

                        NativeMethods.OpenThreadToken(NativeMethods.GetCurrentThread(), 8, true, out IntPtr token);
                        NativeMethods.RevertToSelf();
                        return token != IntPtr.Zero;
                    }
                """));
        }

        [Fact]
        public Task Region_at_the_end_of_the_method_body_still_gets_the_revert()
        {
            Flavour f = RuleCode.Get("ComImport");
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        Work();
                        if (_flag)
                        {
                            {{FixCode.Checked(f, f.Imp("COMIMP002"), FixCode.Body + "    ")}}
                            Log(1);
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
                            try
                            {
                                Log(1);
                            }
                            finally
                            {
                                {{FixCode.WrittenRevert(f, FixCode.Body + "        ")}}
                            }
                        }
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // "Throw on failure" then "Revert in finally", in every result shape
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public async Task Throw_on_failure_then_revert_in_finally(string name)
        {
            Flavour f = RuleCode.Get(name);
            string thrown = FixCode.ThrowOnFailure(f, f.Imp("COMIMP007")) + ";";
            await VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.Imp("COMIMP004", "COMIMP007")}};
                        Work();
                        {{f.RevertStatement}}
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{thrown}}
                        Work();
                        {{f.RevertStatement}}
                    }
                """);
            await VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{thrown}}
                        Work();
                        {{f.RevertStatement}}
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.ThrowOnFailure(f, f.Impersonate)}};
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(TokenNames))]
        public async Task Throw_on_failure_then_revert_in_finally_for_token_impersonations(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            string thrown = ThrownBy(f, "{|COMIMP007:" + f.Impersonate + "|}");
            await VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {|COMIMP004:{|COMIMP007:{{f.Impersonate}}|}|};
                        Work();
                        {{f.RevertStatement}}
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                {{thrown}}
                        Work();
                        {{f.RevertStatement}}
                    }
                """));
            await VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                {{thrown}}
                        Work();
                        {{f.RevertStatement}}
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                {{ThrownBy(f, f.Impersonate)}}
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

        // -------------------------------------------------------------------------------------------------------
        // CsWin32's statement form
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("CsWin32.PInvoke")]
        [InlineData("CsWin32.Com")]
        [InlineData("CsWin32.Vtable")]
        [InlineData("Vanara.Ole32")]
        [InlineData("ComImport")]
        public Task Revert_before_signal_after_the_statement_form_wraps_in_try(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertBeforeSignalCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.ThrowOnFailure(f, f.Imp("COMIMP002"))}};
                        Work();
                        {{f.Sig("COMIMP003")}};
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.ThrowOnFailure(f, f.Impersonate)}};
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

        // -------------------------------------------------------------------------------------------------------
        // Locals that outlive the region, early returns
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Run_as_helper_returns_inside_the_try(string name)
        {
            // The commonest "run as" helper: the result is computed impersonated and returned after the revert.
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public int Run(Func<int> action)
                    {
                        {{FixCode.CheckedOrThrow(f, f.Imp("COMIMP007"))}}
                        int result = action();
                        {{f.RevertStatement}}
                        return result;
                    }
                """,
                $$"""
                    public int Run(Func<int> action)
                    {
                        {{FixCode.CheckedOrThrow(f, f.Impersonate)}}
                        try
                        {
                            return action();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(TokenNames))]
        public Task Early_return_goes_into_the_try_and_the_local_out(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    private IntPtr Open() => _handle;

                    public bool Serve()
                    {
                        if ({{f.Failed("{|COMIMP002:" + f.Impersonate + "|}")}}) return false;
                        if (!_flag) return false;
                        var handle = Open();
                        {{f.RevertStatement}}
                        return handle != IntPtr.Zero;
                    }
                """),
                TokenCode.Class(f, $$"""
                    private IntPtr Open() => _handle;

                    public bool Serve()
                    {
                        if ({{f.Failed(f.Impersonate)}}) return false;
                        IntPtr handle;
                        try
                        {
                            if (!_flag) return false;
                            handle = Open();
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        return handle != IntPtr.Zero;
                    }
                """));
        }

        /// <summary>
        /// The thread-token flavours whose impersonation is a recognised call; CsWin32's SafeHandle overload is a wrapper
        /// of the generated code, whose end the fix knows only by its summary (see the test for it below).
        /// </summary>
        public static TheoryData<string> RecognisedThreadTokenNames
        {
            get
            {
                var names = new TheoryData<string>();
                foreach (string name in TokenFlavours.ExplicitTokenNames)
                {
                    if (name != "Win32.CsWin32.SafeHandle")
                    {
                        names.Add(name);
                    }
                }

                return names;
            }
        }

        public static TheoryData<string> DispatchThreadNames => TokenFlavours.DispatchThreadNames;

        [Theory]
        [MemberData(nameof(RecognisedThreadTokenNames))]
        public Task Failure_branch_that_goes_on_is_left_before_the_try(string name)
        {
            // The code logs the failure and goes on: what follows runs as the client only when the call succeeded. The
            // thread-token revert succeeds and changes nothing on a thread that does not impersonate, so it may end both.
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        if ({{f.Failed("{|COMIMP002:" + f.Impersonate + "|}")}})
                        {
                            Log("not impersonating");
                        }

                        Work();
                    }
                """),
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        if ({{f.Failed(f.Impersonate)}})
                        {
                            Log("not impersonating");
                        }

                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {{FixCode.WrittenTokenRevert(f, FixCode.Body + "    ")}}
                        }
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(DispatchThreadNames))]
        [InlineData("Win32.CsWin32.SafeHandle")] // a wrapper: its row, and so whether its end is harmless, is not known here
        public Task Failure_branch_that_goes_on_gets_no_fix_where_the_end_could_fail(string name)
        {
            // RpcRevertToSelf is not documented to succeed on a thread that does not impersonate, and the written end
            // stops the process when it fails: the fix is not offered.
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.NotOfferedAsync<RevertInFinallyCodeFixProvider>(f.Declarations, TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        if ({{f.Failed("{|COMIMP002:" + f.Impersonate + "|}")}})
                        {
                            Log("not impersonating");
                        }

                        Work();
                    }
                """));
        }

        [Theory]
        [InlineData("DllImport.ole32")]
        [InlineData("ComImport")]
        public Task Revert_that_returns_on_failure_is_replaced_by_the_written_end(string name)
        {
            // `if (CoRevertToSelf() != 0) return false;` cannot stand in a finally (CS0157): the written end, which stops
            // the process where the revert fails, takes its place, and the code after it still runs reverted.
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    public bool Check()
                    {
                        if ({|COMIMP002:{{f.Impersonate}}|} != 0)
                        {
                            return false;
                        }

                        if (!_flag)
                        {
                            return false;
                        }

                        Work();
                        if ({{f.Revert}} != 0)
                        {
                            return false;
                        }

                        Log(1);
                        return true;
                    }
                """,
                $$"""
                    public bool Check()
                    {
                        if ({{f.Impersonate}} != 0)
                        {
                            return false;
                        }

                        try
                        {
                            if (!_flag)
                            {
                                return false;
                            }

                            Work();
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }

                        Log(1);
                        return true;
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(TokenNames))]
        public Task Local_declared_without_a_value_moves_before_the_try(string name)
        {
            // `IntPtr token;` filled by an out argument in the region and read after it: the declaration moves whole.
            Flavour f = TokenFlavours.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f.Declarations,
                TokenCode.Class(f, $$"""
                    private static bool Open(out IntPtr handle) { handle = IntPtr.Zero; return true; }

                    public bool Serve()
                    {
                        if ({{f.Failed("{|COMIMP002:" + f.Impersonate + "|}")}}) return false;
                        // the client's handle
                        IntPtr handle, other;
                        if (!Open(out handle)) return false;
                        other = handle;
                        {{f.RevertStatement}}
                        return handle != other;
                    }
                """),
                TokenCode.Class(f, $$"""
                    private static bool Open(out IntPtr handle) { handle = IntPtr.Zero; return true; }

                    public bool Serve()
                    {
                        if ({{f.Failed(f.Impersonate)}}) return false;
                        // the client's handle
                        IntPtr handle, other;
                        try
                        {
                            if (!Open(out handle)) return false;
                            other = handle;
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                        return handle != other;
                    }
                """));
        }

        // -------------------------------------------------------------------------------------------------------
        // The user's formatting: only the lines that move get new indentation
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [InlineData("ComImport")]
        [InlineData("CsWin32.PInvoke")]
        [InlineData("ComImport.Throwing")]
        public Task Wrapped_code_keeps_its_layout(string name)
        {
            // A lambda argument keeps its brace on the call's line, an odd spacing and comments stay as written.
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<RevertInFinallyCodeFixProvider>(
                f,
                $$"""
                    private static void Each(int count, Action<int> action) { }

                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Imp("COMIMP007"))}}

                        // one per token
                        Each(-1, token => {
                            Log(token);   // as written
                        });
                        Log( 2 );
                        {{f.RevertStatement}}
                    }
                """,
                $$"""
                    private static void Each(int count, Action<int> action) { }

                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}

                        try
                        {
                            // one per token
                            Each(-1, token => {
                                Log(token);   // as written
                            });
                            Log( 2 );
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        /// <summary>What "Throw on failure" writes for a token impersonation, at statement indentation.</summary>
        private static string ThrownBy(Flavour f, string call)
        {
            const string Indent = "        ";
            if (f.Name.StartsWith("Rpc.", System.StringComparison.Ordinal))
            {
                string code = f.Name == "Rpc.CsWin32" ? "unchecked((int)status)" : "status";
                return Indent + "var status = " + call + ";\n"
                    + Indent + "if (status != 0)\n" + Indent + "{\n" + Indent + "    throw new Win32Exception(" + code + ");\n" + Indent + "}";
            }

            string condition = f.Name is "Win32.IntBool" or "Win32.LibraryImport" ? call + " == 0" : "!" + call;
            return Indent + "if (" + condition + ")\n" + Indent + "{\n" + Indent + "    throw new Win32Exception();\n" + Indent + "}";
        }
    }
}
