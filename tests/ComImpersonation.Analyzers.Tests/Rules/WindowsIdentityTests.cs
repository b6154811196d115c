using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// .NET's own impersonation: <c>WindowsIdentity.Impersonate()</c> (where the framework has it, .NET Framework)
    /// must be undone on every path, in a <c>finally</c> or a <c>using</c>; <c>WindowsIdentity.RunImpersonated</c>
    /// given an async delegate whose Task is dropped is COMIMP006.
    /// </summary>
    public class WindowsIdentityTests
    {
        private const string Usings = """
            using System;
            using System.Security.Principal;
            using System.Threading.Tasks;

            """;

        private static string Class(string members) => Usings + $$"""
            class Service
            {
                private bool _flag;

                private void Work() { }

            {{members}}
            }
            """;

        [Fact]
        public Task Undo_in_finally_using_and_Dispose_are_quiet()
        {
            return NetFramework.AnalyzerAsync(Class("""
                    public void WithFinally(WindowsIdentity identity)
                    {
                        WindowsImpersonationContext context = identity.Impersonate();
                        try { Work(); } finally { context.Undo(); }
                    }

                    public void WithUsing(WindowsIdentity identity)
                    {
                        using (identity.Impersonate())
                        {
                            Work();
                        }
                    }

                    public void WithUsingDeclaration(IntPtr token)
                    {
                        using var context = WindowsIdentity.Impersonate(token);
                        Work();
                    }

                    public void WithDispose(WindowsIdentity identity)
                    {
                        var context = identity.Impersonate();
                        try { Work(); } finally { context.Dispose(); }
                    }
                """));
        }

        [Fact]
        public Task Undo_skipped_on_a_path_or_an_exception_is_reported()
        {
            string source = Class("""
                    public void EarlyReturn(WindowsIdentity identity)
                    {
                        var context = {|#0:identity.Impersonate()|};
                        if (_flag)
                        {
                            {|#3:return;|}
                        }

                        context.Undo();
                    }

                    public void NotInFinally(WindowsIdentity identity)
                    {
                        var context = {|#1:identity.Impersonate()|};
                        {|#4:Work()|};
                        {|#5:context.Undo()|};
                    }

                    public void ContextDropped(IntPtr token)
                    {
                        if (_flag)
                        {
                            {|#2:WindowsIdentity.Impersonate(token)|};
                        }

                        Work();
                    {|#6:}|}
                """);
            return NetFramework.AnalyzerAsync(
                source,
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(0).WithLocation(3)
                    .WithArguments("WindowsIdentity.Impersonate", Flavours.LineOf(source, "{|#3:"), "", ""),
                new Microsoft.CodeAnalysis.Testing.DiagnosticResult("COMIMP007", DiagnosticSeverity.Info).WithLocation(1).WithLocation(4).WithLocation(5)
                    .WithArguments("WindowsIdentity.Impersonate", "Work()", Flavours.LineOf(source, "{|#4:"), " at line " + Flavours.LineOf(source, "{|#5:"), ""),
                Verify.DiagnosticWithRelated("COMIMP002").WithLocation(2).WithLocation(6)
                    .WithArguments("WindowsIdentity.Impersonate", Flavours.LineOf(source, "{|#6:"), "", ""));
        }

        [Fact]
        public Task Impersonation_across_an_await_is_reported_and_after_one_is_not()
        {
            string source = Class("""
                    public async Task AcrossAsync(WindowsIdentity identity)
                    {
                        using ({|#0:identity.Impersonate()|})
                        {
                            await Task.Delay(10);
                        }
                    }

                    public async Task AfterAsync(WindowsIdentity identity)
                    {
                        await Task.Yield();
                        using (identity.Impersonate())
                        {
                            Work();
                        }
                    }
                """);
            return NetFramework.AnalyzerAsync(
                source,
                Verify.Diagnostic("COMIMP006").WithLocation(0).WithArguments(
                    "WindowsIdentity.Impersonate",
                    "and stays active across the 'await' at line " + Flavours.LineOf(source, "await Task.Delay(10);")
                        + ": the revert may run on another thread while this one keeps the impersonated token",
                    ""));
        }

        [Fact]
        public Task The_Signal_rules_leave_WindowsIdentity_alone()
        {
            return NetFramework.AnalyzerAsync(Class("""
                    public void Finish_Work(WindowsIdentity identity)
                    {
                        using (identity.Impersonate())
                        {
                            Work();
                        }
                    }
                """));
        }

        [Fact]
        public Task RunImpersonated_with_an_async_delegate_whose_task_is_dropped_is_COMIMP006()
        {
            static string Reason(int line) => "around an async delegate (line " + line + ") whose Task is dropped: the work after its first 'await' goes on impersonated on other threads, unobserved, after the call returns; await 'RunImpersonatedAsync' instead";
            return Verify.AnalyzerAsync(
                Usings + """
                using Microsoft.Win32.SafeHandles;

                class Service
                {
                    private static void Work() { }

                    private static async Task WorkAsync() => await Task.Delay(1);

                    public void Dropped(SafeAccessTokenHandle token)
                    {
                        {|#0:WindowsIdentity.RunImpersonated(token, async () => { await Task.Delay(1); Work(); })|};
                        _ = {|#1:WindowsIdentity.RunImpersonated(token, WorkAsync)|};
                    }

                    public async Task AwaitedAsync(SafeAccessTokenHandle token)
                    {
                        await WindowsIdentity.RunImpersonated(token, async () => { await Task.Delay(1); Work(); });
                        await WindowsIdentity.RunImpersonatedAsync(token, async () => { await Task.Delay(1); Work(); });
                        Task kept = WindowsIdentity.RunImpersonated(token, WorkAsync);
                        await kept;
                    }

                    public void Synchronous(SafeAccessTokenHandle token)
                    {
                        WindowsIdentity.RunImpersonated(token, () => Work());
                        WindowsIdentity.RunImpersonated(token, Work);
                    }
                }
                """,
                Verify.Diagnostic("COMIMP006").WithLocation(0).WithArguments("WindowsIdentity.RunImpersonated", Reason(14), ""),
                Verify.Diagnostic("COMIMP006").WithLocation(1).WithArguments("WindowsIdentity.RunImpersonated", Reason(15), ""));
        }
    }
}
