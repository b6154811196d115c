using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes.Fixes;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// COMIMP004, "Throw on failure" (SPEC §4): <c>Marshal.ThrowExceptionForHR(…)</c> for an <c>int</c> (or
    /// <c>uint</c>) HRESULT, the struct's own <c>ThrowOnFailure()</c> (CsWin32) or <c>ThrowIfFailed()</c> (Vanara),
    /// and <c>Marshal.ThrowExceptionForHR((int)…)</c> for a struct without one (TerraFX).
    /// </summary>
    public class ThrowOnFailureFixTests
    {
        private static Flavour ComImport => RuleCode.Get("ComImport");

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Discarded_result_throws_on_failure(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {{f.Imp("COMIMP004")}}; // impersonate
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.ThrowOnFailure(f, f.Impersonate)}}; // impersonate
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Discard_assignment_throws_on_failure(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        _ = {{f.Imp("COMIMP004")}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.ThrowOnFailure(f, f.Impersonate)}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Local_that_is_never_read_is_checked_after_the_store(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        var result = {{f.Imp("COMIMP004")}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        var result = {{f.Impersonate}};
                        {{FixCode.ThrowOnFailure(f, "result")}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Fact]
        public Task Overwritten_result_is_checked_before_it_is_overwritten()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        int hr;
                        hr = {{f.Imp("COMIMP004")}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                        hr = 0;
                        Log(hr);
                    }
                """,
                $$"""
                    public void Begin_Work()
                    {
                        int hr;
                        hr = {{f.Impersonate}};
                        Marshal.ThrowExceptionForHR(hr);
                        try { Work(); } finally { {{f.RevertStatement}} }
                        hr = 0;
                        Log(hr);
                    }
                """);
        }

        [Fact]
        public Task Expression_bodied_member_is_fixed_in_place()
        {
            Flavour f = ComImport;
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    private void Impersonate() => {{f.Imp("COMIMP004")}};
                """,
                $$"""
                    private void Impersonate() => Marshal.ThrowExceptionForHR({{f.Impersonate}});
                """);
        }

        [Fact]
        public Task Impersonations_in_switch_sections_and_nested_blocks_are_fixed_together()
        {
            Flavour f = RuleCode.Get("CsWin32.PInvoke");
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        switch (_mode)
                        {
                            case 1:
                                {{f.Imp("COMIMP004")}};
                                try { Work(); } finally { {{f.RevertStatement}} }
                                break;
                            default:
                                if (_flag)
                                {
                                    _ = {{f.Imp("COMIMP004")}};
                                    try { Log(2); } finally { {{f.RevertStatement}} }
                                }

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
                                {{f.Impersonate}}.ThrowOnFailure();
                                try { Work(); } finally { {{f.RevertStatement}} }
                                break;
                            default:
                                if (_flag)
                                {
                                    {{f.Impersonate}}.ThrowOnFailure();
                                    try { Log(2); } finally { {{f.RevertStatement}} }
                                }

                                break;
                        }
                    }
                """);
        }

        [Fact]
        public Task Using_directive_is_added_when_missing()
        {
            const string Before = """
                class CallObject
                {
                    private IServerSecurity _security;

                    public void Begin_Work()
                    {
                        {|COMIMP004:_security.ImpersonateClient()|};
                        try { System.Console.WriteLine(); } finally { _security.RevertToSelf(); }
                    }
                }
                """;
            const string After = """
                using System.Runtime.InteropServices;

                class CallObject
                {
                    private IServerSecurity _security;

                    public void Begin_Work()
                    {
                        Marshal.ThrowExceptionForHR(_security.ImpersonateClient());
                        try { System.Console.WriteLine(); } finally { _security.RevertToSelf(); }
                    }
                }
                """;
            return VerifyFix.RunAsync<ThrowOnFailureCodeFixProvider>(ComImport.Declarations, Before, After);
        }

        [Fact]
        public Task Not_offered_for_a_swallowed_exception()
        {
            Flavour f = RuleCode.Get("ComImport.Throwing");
            return VerifyFix.NotOfferedAsync<ThrowOnFailureCodeFixProvider>(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        try
                        {
                            {{f.Imp("COMIMP004")}};
                        }
                        catch (COMException)
                        {
                            Log("failed");
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """));
        }
    }
}
