using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// Issue 18: SSPI, the NT native API, NtApiDotNet / NtCoreLib and user32's ImpersonateDdeClientWindow as rows of
    /// the API table (SPEC §2 "Beyond COM"): recognised by entry point and library or by the context's full name,
    /// with their own result conventions, the thread argument deciding whose token changes, and rules 002, 004, 006 (c)
    /// and 007 (not the Signal rules).
    /// </summary>
    public class NewFamiliesTests
    {
        // ---------------------------------------------------------------------------------------------
        // SSPI
        // ---------------------------------------------------------------------------------------------

        private const string Sspi = """
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            [StructLayout(LayoutKind.Sequential)]
            struct SecHandle { public IntPtr Lower; public IntPtr Upper; }

            static class Secur32
            {
                [DllImport("secur32.dll")]
                public static extern int ImpersonateSecurityContext(ref SecHandle context);

                [DllImport("secur32.dll")]
                public static extern int RevertSecurityContext(ref SecHandle context);
            }

            static partial class SspiCli
            {
                [DllImport("sspicli.dll", EntryPoint = "ImpersonateSecurityContext")]
                public static extern uint Impersonate(ref SecHandle context);

                [DllImport("sspicli.dll", EntryPoint = "RevertSecurityContext")]
                public static extern uint Revert(ref SecHandle context);
            }

            """;

        [Fact]
        public Task SSPI_impersonation_gets_the_rules_that_are_not_about_Signal()
        {
            return Verify.AnalyzerAsync(Sspi + """
                class Server
                {
                    private SecHandle _context;

                    private static void Work() { }

                    public void Good()
                    {
                        if (Secur32.ImpersonateSecurityContext(ref _context) != 0) return;
                        try { Work(); } finally { Secur32.RevertSecurityContext(ref _context); }
                    }

                    public void Renamed()
                    {
                        uint status = SspiCli.Impersonate(ref _context);
                        if (status != 0) throw new InvalidOperationException();
                        try { Work(); } finally { SspiCli.Revert(ref _context); }
                    }

                    public void Leaks()
                    {
                        if ({|COMIMP002:Secur32.ImpersonateSecurityContext(ref _context)|} != 0) return;
                        Work();
                    }

                    public void Unchecked()
                    {
                        {|COMIMP004:Secur32.ImpersonateSecurityContext(ref _context)|};
                        try { Work(); } finally { Secur32.RevertSecurityContext(ref _context); }
                    }

                    public void NotInFinally()
                    {
                        if ({|COMIMP007:SspiCli.Impersonate(ref _context)|} != 0) return;
                        Work();
                        SspiCli.Revert(ref _context);
                    }

                    public async Task AcrossAwait()
                    {
                        if ({|COMIMP006:Secur32.ImpersonateSecurityContext(ref _context)|} != 0) return;
                        try { await Task.Yield(); } finally { Secur32.RevertSecurityContext(ref _context); }
                    }

                    // A status that is not zero is a failure: `< 0` says nothing, so both branches may impersonate.
                    public void OrderedTest()
                    {
                        if ({|COMIMP002:Secur32.ImpersonateSecurityContext(ref _context)|} < 0) return;
                        Work();
                    }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // NT native
        // ---------------------------------------------------------------------------------------------

        private const string Ntdll = """
            using System;
            using System.Runtime.InteropServices;

            static class Nt
            {
                public const int ThreadImpersonationToken = 5;
                public const int ThreadPriority = 2;

                [DllImport("ntdll.dll")]
                public static extern int NtSetInformationThread(IntPtr thread, int infoClass, ref IntPtr token, int length);

                [DllImport("ntdll.dll", EntryPoint = "ZwSetInformationThread")]
                public static extern int SetThreadInfo(IntPtr thread, int infoClass, ref IntPtr token, int length);

                [DllImport("ntdll.dll")]
                public static extern int NtImpersonateAnonymousToken(IntPtr thread);

                [DllImport("ntdll.dll")]
                public static extern uint NtImpersonateThread(IntPtr serverThread, IntPtr clientThread, IntPtr qos);

                [DllImport("kernel32.dll")]
                public static extern IntPtr GetCurrentThread();

                [DllImport("advapi32.dll")]
                public static extern bool RevertToSelf();
            }

            """;

        [Fact]
        public Task NtSetInformationThread_with_a_token_impersonates_and_with_zero_reverts()
        {
            return Verify.AnalyzerAsync(Ntdll + """
                class Tool
                {
                    private static void Work() { }

                    public static void Good(IntPtr token)
                    {
                        if (Nt.NtSetInformationThread(Nt.GetCurrentThread(), Nt.ThreadImpersonationToken, ref token, IntPtr.Size) < 0) return;
                        try
                        {
                            Work();
                        }
                        finally
                        {
                            IntPtr none = IntPtr.Zero;
                            Nt.NtSetInformationThread(Nt.GetCurrentThread(), Nt.ThreadImpersonationToken, ref none, IntPtr.Size);
                        }
                    }

                    public static void Leaks(IntPtr token)
                    {
                        if ({|COMIMP002:Nt.SetThreadInfo(new IntPtr(-2), 5, ref token, IntPtr.Size)|} < 0) return;
                        Work();
                    }

                    public static void Unchecked(IntPtr token)
                    {
                        {|COMIMP004:Nt.NtSetInformationThread(Nt.GetCurrentThread(), 5, ref token, IntPtr.Size)|};
                        try { Work(); } finally { Nt.RevertToSelf(); }
                    }

                    public static void AnotherThread(IntPtr thread, IntPtr token)
                    {
                        // The suspended child's thread, not this one: no impersonation of the calling thread.
                        if (Nt.NtSetInformationThread(thread, 5, ref token, IntPtr.Size) < 0) return;
                        Work();
                    }

                    public static void AnotherClass(IntPtr token)
                    {
                        Nt.NtSetInformationThread(Nt.GetCurrentThread(), Nt.ThreadPriority, ref token, 4);
                        Work();
                    }

                    public static void Anonymous()
                    {
                        if ({|COMIMP007:Nt.NtImpersonateAnonymousToken((IntPtr)(-2))|} < 0) return;
                        Work();
                        Nt.RevertToSelf();
                    }

                    public static void Thread(IntPtr client)
                    {
                        // NTSTATUS as uint: the high bit is failure.
                        if ({|COMIMP002:Nt.NtImpersonateThread(Nt.GetCurrentThread(), client, IntPtr.Zero)|} >= 0x80000000) return;
                        Work();
                    }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // NtApiDotNet / NtCoreLib
        // ---------------------------------------------------------------------------------------------

        // NtCoreLib keeps the context in NtCoreLib.Utilities.Token; NtApiDotNet in its root namespace.
        private static string NtObjectManager(string ns, string contextNamespace) => $$"""
            using System;

            namespace {{contextNamespace}}
            {
                public sealed class ThreadImpersonationContext : IDisposable
                {
                    public void Revert() { }

                    public void Dispose() { }
                }
            }

            namespace {{ns}}
            {
                using {{contextNamespace}};

                public class NtToken
                {
                    public ThreadImpersonationContext Impersonate() => new ThreadImpersonationContext();

                    public ThreadImpersonationContext Impersonate(int level) => new ThreadImpersonationContext();
                }

                public class NtThread
                {
                    public static NtThread Current => new NtThread();

                    public ThreadImpersonationContext Impersonate(NtToken token) => new ThreadImpersonationContext();

                    public ThreadImpersonationContext ImpersonateAnonymousToken() => new ThreadImpersonationContext();
                }

                public class NtNamedPipeFile
                {
                    public ThreadImpersonationContext Impersonate() => new ThreadImpersonationContext();
                }
            }

            """;

        [Theory]
        [InlineData("NtApiDotNet", "NtApiDotNet")]
        [InlineData("NtCoreLib", "NtCoreLib.Utilities.Token")]
        public Task ThreadImpersonationContext_is_ended_by_Revert_Dispose_or_using(string ns, string contextNamespace)
        {
            return Verify.AnalyzerAsync(NtObjectManager(ns, contextNamespace) + $$"""
                namespace Tool
                {
                    using {{ns}};
                    using {{contextNamespace}};

                    class Program
                    {
                        private static void Work() { }

                        public static void Good(NtToken token, NtNamedPipeFile pipe)
                        {
                            using (token.Impersonate())
                            {
                                Work();
                            }

                            using var context = pipe.Impersonate();
                            Work();
                        }

                        public static void Leaks(NtToken token)
                        {
                            var context = {|COMIMP002:token.Impersonate(2)|};
                            Work();
                        }

                        public static void NotInFinally(NtToken token)
                        {
                            var context = {|COMIMP007:NtThread.Current.Impersonate(token)|};
                            Work();
                            context.Revert();
                        }

                        public static void OtherThread(NtThread thread, NtToken token)
                        {
                            // Another thread's token: not this thread's identity.
                            var context = thread.Impersonate(token);
                            Work();
                        }

                        public static ThreadImpersonationContext Begin(NtToken token) => token.Impersonate();
                    }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // user32's ImpersonateDdeClientWindow
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task ImpersonateDdeClientWindow_is_a_BOOL_impersonation()
        {
            return Verify.AnalyzerAsync("""
                using System;
                using System.Runtime.InteropServices;

                static class User32
                {
                    [DllImport("user32.dll", SetLastError = true)]
                    public static extern bool ImpersonateDdeClientWindow(IntPtr client, IntPtr server);

                    [DllImport("advapi32.dll", SetLastError = true)]
                    public static extern bool RevertToSelf();
                }

                class DdeServer
                {
                    private static void Work() { }

                    public void Good(IntPtr client, IntPtr server)
                    {
                        if (!User32.ImpersonateDdeClientWindow(client, server)) return;
                        try { Work(); } finally { User32.RevertToSelf(); }
                    }

                    public void Leaks(IntPtr client, IntPtr server)
                    {
                        if (!{|COMIMP002:User32.ImpersonateDdeClientWindow(client, server)|}) return;
                        Work();
                    }
                }
                """);
        }

        [Fact]
        public Task Buffer_form_and_begin_helper_returning_a_status_test_are_read_as_written()
        {
            // NtSetInformationThread given a buffer that holds no token reverts; a helper that returns whether the
            // status says success is a begin helper, whatever it frees before returning.
            return Verify.AnalyzerAsync("""
                using System;
                using System.Runtime.InteropServices;

                static class Helpers
                {
                    private const int STATUS_SUCCESS = 0;

                    [DllImport("ntdll.dll")]
                    private static extern int NtSetInformationThread(IntPtr thread, int informationClass, IntPtr information, int length);

                    [DllImport("ntdll.dll")]
                    private static extern int NtClose(IntPtr handle);

                    public static bool SetCurrentThreadToken(IntPtr token)
                    {
                        IntPtr buffer = Marshal.AllocHGlobal(IntPtr.Size);
                        Marshal.WriteIntPtr(buffer, token);
                        int ntstatus = NtSetInformationThread(new IntPtr(-2), 5, buffer, IntPtr.Size);
                        NtClose(token);
                        Marshal.FreeHGlobal(buffer);
                        return ntstatus == STATUS_SUCCESS;
                    }

                    public static bool RevertToSelf()
                    {
                        IntPtr buffer = Marshal.AllocHGlobal(IntPtr.Size);
                        Marshal.WriteIntPtr(buffer, IntPtr.Zero);
                        int ntstatus = NtSetInformationThread(new IntPtr(-2), 5, buffer, IntPtr.Size);
                        Marshal.FreeHGlobal(buffer);
                        return ntstatus == STATUS_SUCCESS;
                    }

                    public static void Run(IntPtr token, Action work)
                    {
                        if (!{|COMIMP007:SetCurrentThreadToken(token)|}) return;
                        work();
                        RevertToSelf();
                    }
                }
                """);
        }

        [Fact]
        public Task A_status_written_in_a_finally_and_returned_after_it_is_read()
        {
            return Verify.AnalyzerAsync(Sspi + """
                class Channel
                {
                    private SecHandle _context;

                    // The constrained-region idiom: the call sits in a finally so that nothing can interrupt it.
                    public int ImpersonateClient()
                    {
                        int status;
                        try
                        {
                        }
                        finally
                        {
                            status = Secur32.ImpersonateSecurityContext(ref _context);
                        }

                        return status;
                    }

                    public void Serve(Action work)
                    {
                        if (ImpersonateClient() != 0) return;
                        try { work(); } finally { Secur32.RevertSecurityContext(ref _context); }
                    }
                }
                """);
        }
    }
}
