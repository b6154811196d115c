using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// SPEC §3 "Every finding explains itself" for COMIMP004: the message says how the result is lost (discarded,
    /// overwritten at line N, never read before the method returns, overwritten in the loop's next iteration,
    /// swallowed by the catch at line N), and the place that loses it is the diagnostic's additional location. Each
    /// shape in three result conventions: an HRESULT (<c>CoImpersonateClient</c>), a Win32 BOOL
    /// (<c>ImpersonateLoggedOnUser</c>) and an RPC status (<c>RpcImpersonateClient</c>).
    /// </summary>
    public class Comimp004PathTests
    {
        private const string Id = "COMIMP004";

        /// <summary>One flavour of each result convention.</summary>
        public static TheoryData<string> ResultFlavours => new TheoryData<string> { "DllImport.ole32", "Win32.ImpersonateLoggedOnUser", "Rpc.DllImport" };

        private static Flavour Get(string name) => name.StartsWith("DllImport.", System.StringComparison.Ordinal) ? Flavours.Get(name) : TokenFlavours.Get(name);

        /// <summary>Runs the analyzer over a class with <paramref name="members"/> and expects exactly <paramref name="expected"/>.</summary>
        private static Task VerifyAsync(Flavour f, string members, params DiagnosticResult[] expected) => TokenCode.VerifyAsync(f, members, expected);

        private static int Line(Flavour f, string members, string marker) => Flavours.LineOf(TokenCode.Class(f, members), marker);

        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task Discarded_names_no_place(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithArguments(f.ImpersonateName, "it is discarded", ""));
        }

        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task Overwritten_in_a_finally_names_the_write(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            {|#1:hr = {{f.Revert}}|};
                        }

                        Log(hr);
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and overwritten at line " + Line(f, members, "{|#1:") + " before it is read", ""));
        }

        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task Overwritten_by_an_out_argument_names_the_argument(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    private static void Next<T>(out T value) => value = default;

                    public void Serve()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        try
                        {
                            Next({|#1:out hr|});
                            Log(hr);
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and overwritten at line " + Line(f, members, "{|#1:") + " before it is read", ""));
        }

        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task Never_read_names_the_end_of_the_method(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    {|#1:}|}
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and never read before the method returns at line " + Line(f, members, "{|#1:"), ""));
        }

        /// <summary>Of an early return and a later overwrite, the message names the first in the source.</summary>
        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task Never_read_names_an_early_return(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public int Serve()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        if (_flag)
                        {
                            {{f.RevertStatement}}
                            {|#1:return 1;|}
                        }

                        try { Work(); } finally { {{f.RevertStatement}} }
                        hr = default;
                        Log(hr);
                        return 0;
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and never read before the method returns at line " + Line(f, members, "{|#1:"), ""));
        }

        /// <summary>Paths that only throw reach no return: there is no exit to name.</summary>
        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task Never_read_before_a_throw_names_no_place(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                        throw new System.InvalidOperationException("done");
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithArguments(f.ImpersonateName, "it is stored in 'hr' and never read", ""));
        }

        /// <summary>A return whose finally overwrites the local loses the result at the write, not at the return.</summary>
        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task A_return_through_a_finally_that_overwrites_names_the_write(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        try
                        {
                            if (_flag)
                            {
                                return;
                            }

                            Work();
                        }
                        finally
                        {
                            {|#1:hr = {{f.Revert}}|};
                        }

                        Log(hr);
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and overwritten at line " + Line(f, members, "{|#1:") + " before it is read", ""));
        }

        /// <summary>In a loop that the method leaves, the result is never read before the method returns.</summary>
        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task In_a_loop_that_ends_names_the_method_s_exit(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            var hr = {|#0:{{f.Impersonate}}|};
                            try { Work(); } finally { {{f.RevertStatement}} }
                        }
                    {|#1:}|}
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and never read before the method returns at line " + Line(f, members, "{|#1:"), ""));
        }

        /// <summary>In a loop that never ends, the next iteration's call overwrites the result: the loop's back edge is named.</summary>
        [Theory]
        [MemberData(nameof(ResultFlavours))]
        public Task In_a_loop_that_never_ends_names_the_back_edge(string name)
        {
            Flavour f = Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        while (true)
                        {
                            var hr = {|#0:{{f.Impersonate}}|};
                            try { Work(); } finally { {{f.RevertStatement}} }
                        {|#1:}|}
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and overwritten in the next iteration of the loop (back edge at line " + Line(f, members, "{|#1:") + ") before it is read", ""));
        }

        /// <summary>A throwing projection whose exception a catch swallows: the catch is named.</summary>
        [Theory]
        [InlineData("ComImport.Throwing", "catch (System.Runtime.InteropServices.COMException) { }")]
        [InlineData("ComImport.Throwing", "catch { Log(\"failed\"); }")]
        [InlineData("GeneratedComInterface.Throwing", "catch (System.Exception e) { Log(e); }")]
        public Task Swallowed_names_the_catch(string name, string catchClause)
        {
            Flavour f = RuleCode.Get(name);
            string members = $$"""
                    public void Serve()
                    {
                        try
                        {
                            {|#0:{{f.Impersonate}}|};
                        }
                        {|#1:{{catchClause}}|}

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            return VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "its exception is swallowed by the catch at line " + Line(f, members, "{|#1:") + ", which neither rethrows, throws nor returns", ""));
        }
    }
}
