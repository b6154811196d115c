using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// SPEC §2 "Who ends an impersonation: hand-offs" (issue 15). A normal path that leaves the thread impersonating
    /// is a hand-off when it returns or stores what ends the impersonation, reports it in its result, or only started
    /// it; every other such path leaks (COMIMP002), whatever the method is called and whether anything calls it.
    /// Calls of hand-offs are impersonations in their callers, ended by what the callers end.
    /// </summary>
    public class HandOffTests
    {
        public static TheoryData<string> ComFlavours => Flavours.Names;

        public static TheoryData<string> TokenFlavourNames => TokenFlavours.Names;

        // ---------------------------------------------------------------------------------------------
        // Leaks that no name excuses
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(ComFlavours))]
        public Task Ordinary_method_that_works_as_the_client_and_never_reverts_is_reported(string name)
        {
            Flavour f = Flavours.Get(name);
            return Verify.AnalyzerAsync(f.Sources(f.CallObject(
                body: "",
                extraMembers: $$"""
                    public void Handle()
                    {
                        {{f.ImpersonateChecked(f.Imp("COMIMP002"))}}
                        Work();
                    }
                """)));
        }

        [Theory]
        [MemberData(nameof(TokenFlavourNames))]
        public Task Method_that_works_as_the_client_and_never_reverts_is_reported(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    public void Serve()
                    {
                        {{f.ImpersonateChecked(f.Imp("COMIMP002"), "ok")}}
                        Work();
                    }
                """);
        }

        [Fact]
        public Task Main_thread_body_and_pool_lambda_that_never_revert_are_reported()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateNamedPipeClient");
            return TokenCode.VerifyAsync(f, """
                    public static void Main()
                    {
                        if (!{|COMIMP002:NativeMethods.ImpersonateNamedPipeClient(IntPtr.Zero)|}) return;
                        Serve();
                    }

                    private static void Serve() { }

                    private void ThreadBody()
                    {
                        if (!{|COMIMP002:NativeMethods.ImpersonateNamedPipeClient(_handle)|}) return;
                        Work();
                    }

                    public void Start()
                    {
                        new Thread(ThreadBody).Start();
                        Task.Run(() =>
                        {
                            if (!{|COMIMP002:NativeMethods.ImpersonateNamedPipeClient(_handle)|}) return;
                            Work();
                        });
                    }
                """);
        }

        [Fact]
        public Task Interface_implementation_and_COM_callback_that_never_revert_are_reported()
        {
            Flavour f = Flavours.Get("DllImport.ole32");
            return Verify.AnalyzerAsync(f.Sources("""
                using System;

                public interface IServer
                {
                    void Export(string path);

                    void Register(string path);
                }

                public sealed class Server : IServer
                {
                    void IServer.Export(string path)
                    {
                        var res = {|COMIMP002:{|COMIMP004:NativeMethods.CoImpersonateClient()|}|};
                    }

                    public void Register(string path)
                    {
                        if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return;
                        System.IO.File.WriteAllText(path, "");
                    }
                }
                """));
        }

        [Fact]
        public Task Early_return_on_something_else_while_impersonating_is_a_leak()
        {
            // Only acting on the result makes a wrapper; a branch on a field decides things as the client.
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return TokenCode.VerifyAsync(f, """
                    public void Serve()
                    {
                        if (!{|COMIMP002:NativeMethods.ImpersonateLoggedOnUser(_token)|}) return;
                        if (_flag) return;
                        Log(1);
                    }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // 3. Only starts it: impersonation wrappers
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(TokenFlavourNames))]
        public Task Wrapper_that_only_starts_it_is_quiet_and_its_callers_see_an_impersonation(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    private void Impersonate()
                    {
                        var ok = {{f.Impersonate}};
                        if ({{f.Failed("ok")}}) throw new Win32Exception();
                    }

                    public void Good()
                    {
                        Impersonate();
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Leaks()
                    {
                        {|COMIMP002:Impersonate()|};
                        Work();
                    }
                """);
        }

        [Fact]
        public Task Wrapper_that_impersonates_on_some_paths_only_is_still_a_wrapper()
        {
            // After the impersonation the path only tests the result: the caller ends it (SPEC §2, "only starts it").
            Flavour f = Flavours.Get("DllImport.ole32");
            return Verify.AnalyzerAsync(f.Sources("""
                static class Identity
                {
                    public static void MaybeImpersonate(bool asClient)
                    {
                        if (!asClient) return;
                        int hr = NativeMethods.CoImpersonateClient();
                        if (hr < 0) throw new System.UnauthorizedAccessException();
                    }
                }
                """));
        }

        [Fact]
        public Task Interface_member_that_ignores_the_result_is_no_wrapper()
        {
            // A COM callback that does not act on whether it impersonated just leaves the token on the thread. A
            // helper of the same shape is still taken for a wrapper its caller reverts after (only COMIMP004).
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return Verify.AnalyzerAsync(f.Sources("""
                using System;

                public interface ICallback
                {
                    void OnRequest(IntPtr token);

                    void Impersonate(IntPtr token);
                }

                public sealed class Callback : ICallback
                {
                    public void OnRequest(IntPtr token)
                    {
                        {|COMIMP002:{|COMIMP004:NativeMethods.ImpersonateLoggedOnUser(token)|}|};
                    }

                    public void Impersonate(IntPtr token)
                    {
                        if (!NativeMethods.ImpersonateLoggedOnUser(token)) throw new System.ComponentModel.Win32Exception();
                    }

                    private static void Helper(IntPtr token) => {|COMIMP004:NativeMethods.ImpersonateLoggedOnUser(token)|};

                    public static void Caller(IntPtr token)
                    {
                        Helper(token);
                        try { Console.WriteLine(); } finally { NativeMethods.RevertToSelf(); }
                    }
                }
                """));
        }

        [Fact]
        public Task Setting_a_flag_after_impersonating_is_still_only_starting_it()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return TokenCode.VerifyAsync(f, """
                    private bool _impersonating;

                    private void Impersonate()
                    {
                        if (!NativeMethods.ImpersonateLoggedOnUser(_token)) throw new Win32Exception(Marshal.GetLastWin32Error());
                        _impersonating = true;
                    }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // 2. Reports it: begin helpers
        // ---------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(TokenFlavourNames))]
        public Task Begin_helper_returning_success_is_quiet_and_its_callers_leak_is_reported(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return TokenCode.VerifyAsync(f, $$"""
                    private bool BeginImpersonation()
                    {
                        if (_flag) return false;
                        var ok = {{f.Impersonate}};
                        if ({{f.Failed("ok")}}) return false;
                        Log(ok);
                        return true;
                    }

                    public void Good()
                    {
                        if (!BeginImpersonation()) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Leaks()
                    {
                        if (!{|COMIMP002:BeginImpersonation()|}) return;
                        Work();
                    }
                """);
        }

        [Fact]
        public Task Begin_helper_returning_the_BOOL_is_quiet()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return TokenCode.VerifyAsync(f, """
                    private object _credentials;

                    private bool BeginImpersonation()
                    {
                        if (_credentials == null) return false;
                        return NativeMethods.ImpersonateLoggedOnUser(_token);
                    }

                    private static bool MakeToken(IntPtr token)
                    {
                        if (token == IntPtr.Zero) return false;
                        return NativeMethods.ImpersonateLoggedOnUser(token);
                    }

                    private readonly object _gate = new object();

                    private bool ImpersonateLocked()
                    {
                        lock (_gate)
                        {
                            return NativeMethods.ImpersonateNamedPipeClient(_handle);
                        }
                    }

                    public void Caller()
                    {
                        if (!{|COMIMP002:MakeToken(_token)|}) return;
                        Work();
                    }
                """);
        }

        [Fact]
        public Task Begin_helper_that_returns_failure_while_impersonating_leaks()
        {
            // "The other value only on paths that do not": false after a successful impersonation hides it.
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return TokenCode.VerifyAsync(f, """
                    private bool BeginImpersonation()
                    {
                        if (!{|COMIMP002:NativeMethods.ImpersonateLoggedOnUser(_token)|}) return false;
                        if (_flag) return false;
                        return true;
                    }
                """);
        }

        [Fact]
        public Task A_lone_success_value_reports_nothing()
        {
            // Every path returns 0: the value tells the caller nothing, so the work done as the client leaks.
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return TokenCode.VerifyAsync(f, """
                    private int Run()
                    {
                        if (!{|COMIMP002:NativeMethods.ImpersonateLoggedOnUser(_token)|}) throw new Win32Exception();
                        Work();
                        return 0;
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.ThrowingNames), MemberType = typeof(RuleCode))]
        public Task HRESULT_begin_helper_over_a_throwing_projection_is_quiet_and_its_callers_leak_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return Verify.AnalyzerAsync(f.Sources(f.CallObject(
                body: "",
                extraMembers: $$"""
                    private int Impersonate()
                    {
                        try
                        {
                            {{f.Impersonate}};
                            return 0;
                        }
                        catch (System.Runtime.InteropServices.COMException e)
                        {
                            return e.HResult;
                        }
                    }

                    public void Good()
                    {
                        if (Impersonate() < 0) return;
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Leaks()
                    {
                        if ({|COMIMP002:Impersonate()|} < 0) return;
                        Work();
                    }
                """)));
        }

        [Fact]
        public Task HRESULT_begin_helper_mapping_a_BOOL_with_a_conditional_is_quiet()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return TokenCode.VerifyAsync(f, """
                    private int Impersonate()
                    {
                        bool ok = NativeMethods.ImpersonateLoggedOnUser(_token);
                        return ok ? 0 : Marshal.GetHRForLastWin32Error();
                    }

                    public void Caller()
                    {
                        if ({|COMIMP002:Impersonate()|} < 0) return;
                        Work();
                    }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // 1. Returns or stores the means to end it
        // ---------------------------------------------------------------------------------------------

        private const string Usings = """
            using System;
            using System.Runtime.InteropServices;
            using System.Security.Principal;

            """;

        [Fact]
        public Task Returned_context_and_disposable_are_hand_offs_ended_by_the_caller()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                sealed class Undo : IDisposable
                {
                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool RevertToSelf();

                    public void Dispose() { RevertToSelf(); }
                }

                class Service
                {
                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool ImpersonateLoggedOnUser(IntPtr token);

                    private IntPtr _token;
                    private WindowsIdentity _identity;

                    private void Work() { }

                    public WindowsImpersonationContext Begin() => _identity.Impersonate();

                    public IDisposable DoImpersonate()
                    {
                        if (!ImpersonateLoggedOnUser(_token)) throw new System.ComponentModel.Win32Exception();
                        Work();
                        return new Undo();
                    }

                    public bool TryBegin(out WindowsImpersonationContext context)
                    {
                        context = _identity.Impersonate();
                        Work();
                        return true;
                    }

                    public void Caller()
                    {
                        using (DoImpersonate())
                        {
                            Work();
                        }

                        using (var context = Begin())
                        {
                            Work();
                        }

                        if (TryBegin(out var started))
                        {
                            try { Work(); } finally { started.Undo(); }
                        }
                    }

                    public void Forgets()
                    {
                        var scope = {|COMIMP002:DoImpersonate()|};
                        Work();
                    }
                }
                """);
        }

        [Fact]
        public Task Context_stored_in_a_field_that_Dispose_undoes_is_a_scope()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                sealed class Impersonation : IDisposable
                {
                    private WindowsImpersonationContext _context;

                    public Impersonation(WindowsIdentity identity)
                    {
                        if (identity != null)
                        {
                            _context = identity.Impersonate();
                        }
                    }

                    public void Start(WindowsIdentity identity)
                    {
                        _context = identity.Impersonate();
                        Log();
                    }

                    private static void Log() { }

                    public void Dispose()
                    {
                        if (_context != null)
                        {
                            _context.Undo();
                            _context = null;
                        }
                    }
                }

                class Service
                {
                    private void Work() { }

                    public void Serve(WindowsIdentity identity)
                    {
                        using (new Impersonation(identity))
                        {
                            Work();
                        }
                    }
                }
                """);
        }

        [Fact]
        public Task Constructor_of_a_Win32_scope_is_quiet_and_a_scope_never_disposed_is_reported()
        {
            Flavour f = TokenFlavours.Get("Win32.ImpersonateLoggedOnUser");
            return Verify.AnalyzerAsync(f.Sources("""
                using System;
                using System.ComponentModel;

                sealed class Impersonator : IDisposable
                {
                    public Impersonator(IntPtr token, bool log)
                    {
                        if (!NativeMethods.ImpersonateLoggedOnUser(token)) throw new Win32Exception();
                        if (log) Console.WriteLine("impersonating");
                    }

                    public void Dispose() => NativeMethods.RevertToSelf();
                }

                class Service
                {
                    public void Good(IntPtr token)
                    {
                        using (new Impersonator(token, log: true))
                        {
                            Console.WriteLine();
                        }
                    }

                    public void Forgets(IntPtr token)
                    {
                        var scope = {|COMIMP002:new Impersonator(token, log: false)|};
                        Console.WriteLine();
                    }
                }
                """));
        }

        [Fact]
        public Task Out_parameter_context_is_a_hand_off()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                class Service
                {
                    private void Work() { }

                    public void Begin(WindowsIdentity identity, out WindowsImpersonationContext context)
                    {
                        context = identity.Impersonate();
                        Work();
                    }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Revert helpers that restore an earlier identity; saved tokens along the path
        // ---------------------------------------------------------------------------------------------

        private const string TokenInterop = """
            using System;
            using System.ComponentModel;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("advapi32.dll", SetLastError = true)]
                public static extern bool ImpersonateLoggedOnUser(IntPtr token);

                [DllImport("advapi32.dll", SetLastError = true)]
                public static extern bool RevertToSelf();

                [DllImport("advapi32.dll", SetLastError = true)]
                public static extern bool SetThreadToken(IntPtr thread, IntPtr token);

                [DllImport("advapi32.dll", SetLastError = true, EntryPoint = "SetThreadToken")]
                public static extern bool SetThreadTokenOf(ref IntPtr thread, IntPtr token);

                [DllImport("advapi32.dll", SetLastError = true)]
                public static extern bool OpenThreadToken(IntPtr thread, int access, bool openAsSelf, out IntPtr token);

                [DllImport("advapi32.dll", SetLastError = true)]
                public static extern bool DuplicateTokenEx(IntPtr token, int access, IntPtr attributes, int level, int type, out IntPtr duplicate);

                [DllImport("kernel32.dll")]
                public static extern IntPtr GetCurrentThread();
            }

            """;

        [Fact]
        public Task Revert_helper_that_restores_the_previous_token_is_a_revert_wrapper()
        {
            return Verify.AnalyzerAsync(TokenInterop + """
                class SecurityContext
                {
                    private IntPtr _previous;
                    private IntPtr _token;

                    private static void Work() { }

                    public void Save()
                    {
                        if (!Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out _previous)) _previous = IntPtr.Zero;
                    }

                    public void Restore()
                    {
                        Native.RevertToSelf();
                        if (_previous != IntPtr.Zero)
                        {
                            if (!Native.ImpersonateLoggedOnUser(_previous)) throw new Win32Exception();
                        }
                    }

                    public void Good()
                    {
                        if (!Native.ImpersonateLoggedOnUser(_token)) return;
                        try { Work(); } finally { Restore(); }
                    }

                    public void NotInFinally()
                    {
                        if (!{|COMIMP007:Native.ImpersonateLoggedOnUser(_token)|}) return;
                        Work();
                        Restore();
                    }

                    public void ResultOfTheRestoreIsStillChecked()
                    {
                        {|COMIMP004:Native.SetThreadToken(IntPtr.Zero, _previous)|};
                    }
                }
                """);
        }

        [Fact]
        public Task SetThreadToken_with_a_field_saved_in_another_method_restores()
        {
            return Verify.AnalyzerAsync(TokenInterop + """
                class SecurityContext
                {
                    private IntPtr _priorToken;

                    private static void Work() { }

                    public void Enter(IntPtr token)
                    {
                        Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out _priorToken);
                        if (!Native.SetThreadToken(IntPtr.Zero, token)) throw new Win32Exception();
                    }

                    public void Leave()
                    {
                        if (!Native.SetThreadToken(IntPtr.Zero, _priorToken)) throw new Win32Exception();
                    }

                    public void Serve(IntPtr token)
                    {
                        Enter(token);
                        try { Work(); } finally { Leave(); }
                    }
                }
                """);
        }

        [Fact]
        public Task A_saved_token_overwritten_by_DuplicateTokenEx_is_a_new_token()
        {
            return Verify.AnalyzerAsync(TokenInterop + """
                class Elevator
                {
                    private static void Work() { }

                    public void SaveAndRestore(IntPtr user)
                    {
                        Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out IntPtr saved);
                        if (!Native.ImpersonateLoggedOnUser(user)) return;
                        try { Work(); } finally { if (!Native.SetThreadToken(IntPtr.Zero, saved)) throw new Win32Exception(); }
                    }

                    public void RestoreUnchecked(IntPtr user)
                    {
                        // The restore is no impersonation to end, but its result must still be acted on (SPEC §2).
                        Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out IntPtr saved);
                        if (!Native.ImpersonateLoggedOnUser(user)) return;
                        try { Work(); } finally { {|COMIMP004:Native.SetThreadToken(IntPtr.Zero, saved)|}; }
                    }

                    public void Duplicated()
                    {
                        Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out IntPtr token);
                        Native.DuplicateTokenEx(token, 0, IntPtr.Zero, 2, 2, out token);
                        if (!{|COMIMP002:Native.SetThreadToken(IntPtr.Zero, token)|}) return;
                        Work();
                    }
                }
                """);
        }

        [Fact]
        public Task Setting_another_threads_token_is_not_an_impersonation_of_this_thread()
        {
            return Verify.AnalyzerAsync(TokenInterop + """
                class Launcher
                {
                    private static void Resume(IntPtr thread) { }

                    public void StartSuspendedAs(IntPtr childThread, IntPtr token)
                    {
                        if (!Native.SetThreadTokenOf(ref childThread, token)) throw new Win32Exception();
                        Resume(childThread);
                    }

                    public void ThisThread(IntPtr token)
                    {
                        if (!{|COMIMP002:Native.SetThreadToken(Native.GetCurrentThread(), token)|}) throw new Win32Exception();
                        Resume(IntPtr.Zero);
                    }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Facts the paths respect: values that cannot be null
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Null_test_of_a_value_that_cannot_be_null_has_no_null_branch()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                class Service
                {
                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool ImpersonateLoggedOnUser(IntPtr token);

                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool RevertToSelf();

                    private WindowsIdentity _identity;
                    private object _state;

                    private void Work() { }

                    public void CurrentIdentity(IntPtr token)
                    {
                        // Only an exception from GetCurrent() can skip the revert: COMIMP007, not COMIMP002.
                        if (!{|COMIMP007:ImpersonateLoggedOnUser(token)|}) return;
                        _identity = WindowsIdentity.GetCurrent();
                        try { Work(); } finally { if (_identity != null) RevertToSelf(); }
                    }

                    public void NewObject(IntPtr token)
                    {
                        var state = new object();
                        if (!ImpersonateLoggedOnUser(token)) return;
                        try { Work(); } finally { if (state != null) RevertToSelf(); }
                    }

                    public void MayBeNull(IntPtr token)
                    {
                        if (!{|COMIMP002:ImpersonateLoggedOnUser(token)|}) return;
                        try { Work(); } finally { if (_state != null) RevertToSelf(); }
                    }
                }
                """);
        }

        // ---------------------------------------------------------------------------------------------
        // Shapes met in real code
        // ---------------------------------------------------------------------------------------------

        [Fact]
        public Task Failure_values_returned_while_impersonating_are_leaks()
        {
            // A failure HRESULT written as unchecked((int)0x8…), a conditional whose other arm is a failure, and a
            // result variable overwritten in a catch: each returns "failed" with the token still on the thread.
            Flavour f = Flavours.Get("DllImport.ole32");
            return Verify.AnalyzerAsync(f.Sources("""
                using System;

                static class Server
                {
                    private static bool s_flag;

                    private static void Work() { }

                    public static int NotFound()
                    {
                        if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return -1;
                        if (s_flag) return unchecked((int)0x80070002);
                        return 0;
                    }

                    public static int Conditional()
                    {
                        if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return -1;
                        return s_flag ? 0 : -2147467259;
                    }

                    public static int Overwritten()
                    {
                        int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
                        if (hr < 0) return hr;
                        try
                        {
                            Work();
                            NativeMethods.CoRevertToSelf();
                        }
                        catch (InvalidOperationException e)
                        {
                            hr = e.HResult;
                        }

                        return hr;
                    }
                }
                """));
        }

        [Fact]
        public Task Result_wrapped_in_a_returned_object_is_reported_and_ThrowIfError_acts_on_it()
        {
            Flavour f = Flavours.Get("ComImport");
            return Verify.AnalyzerAsync(f.Sources("""
                using System;

                readonly struct ComResult
                {
                    public ComResult(int hr) => HResult = hr;

                    public int HResult { get; }

                    public void ThrowIfError() { if (HResult < 0) throw new InvalidOperationException(); }
                }

                sealed class ServerSecurity
                {
                    private readonly IServerSecurity _security;

                    public ServerSecurity(IServerSecurity security) => _security = security;

                    public ComResult ImpersonateClientNoThrow() => new(_security.ImpersonateClient());

                    public void ImpersonateClient() => ImpersonateClientNoThrow().ThrowIfError();

                    public void Leaks()
                    {
                        {|COMIMP002:ImpersonateClient()|};
                        Console.WriteLine();
                    }
                }
                """));
        }

        [Fact]
        public Task A_scope_is_only_a_scope_when_its_Dispose_ends_the_impersonation()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                class Session : IDisposable
                {
                    private WindowsImpersonationContext _context;

                    public Session(WindowsIdentity identity) { _context = identity.Impersonate(); }

                    public void Dispose() { }
                }

                class DisposePattern : IDisposable
                {
                    private WindowsImpersonationContext _context;

                    public DisposePattern(WindowsIdentity identity)
                    {
                        _context = identity.Impersonate();
                        Console.WriteLine("as the client");
                    }

                    public void Dispose() { this.Dispose(true); }

                    protected virtual void Dispose(bool disposing)
                    {
                        if (disposing && _context != null) _context.Undo();
                    }
                }

                class Explicit : IDisposable
                {
                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool ImpersonateLoggedOnUser(IntPtr token);

                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool RevertToSelf();

                    public Explicit(IntPtr token)
                    {
                        if (!ImpersonateLoggedOnUser(token)) throw new System.ComponentModel.Win32Exception();
                        Console.WriteLine("as the client");
                    }

                    void IDisposable.Dispose() { RevertToSelf(); }
                }

                class Service
                {
                    public void Serve(WindowsIdentity identity, IntPtr token)
                    {
                        using (new DisposePattern(identity)) { Console.WriteLine(); }
                        using (new Explicit(token)) { Console.WriteLine(); }
                        using ({|COMIMP002:new Session(identity)|}) { Console.WriteLine(); }
                    }
                }
                """);
        }

        [Fact]
        public Task A_using_context_ends_what_an_exception_leaves_on_the_thread()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                class Theme
                {
                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool ImpersonateLoggedOnUser(IntPtr token);

                    [DllImport("advapi32.dll", SetLastError = true)]
                    private static extern bool RevertToSelf();

                    [DllImport("uxtheme.dll")]
                    private static extern int EnableTheming(int enable);

                    public static bool Enable(WindowsIdentity user, IntPtr token)
                    {
                        using (WindowsImpersonationContext context = user.Impersonate())
                        {
                            bool result = false;
                            if (ImpersonateLoggedOnUser(token))
                            {
                                result = EnableTheming(1) == 0;
                                RevertToSelf();
                            }

                            context.Undo();
                            return result;
                        }
                    }
                }
                """);
        }

        [Fact]
        public Task Calls_inside_a_finally_before_the_revert_are_no_throw_points()
        {
            return Verify.AnalyzerAsync(TokenInterop + """
                static class Integrity
                {
                    [DllImport("kernel32.dll")]
                    private static extern bool CloseHandle(IntPtr handle);

                    public static bool Check(IntPtr user)
                    {
                        if (!Native.ImpersonateLoggedOnUser(user)) return false;
                        IntPtr token = IntPtr.Zero;
                        try
                        {
                            return Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out token);
                        }
                        finally
                        {
                            if (token != IntPtr.Zero) CloseHandle(token);
                            Native.RevertToSelf();
                        }
                    }

                    public static void NativeCallsWithoutFinally(IntPtr user)
                    {
                        if (!{|COMIMP007:Native.ImpersonateLoggedOnUser(user)|}) return;
                        Native.OpenThreadToken(Native.GetCurrentThread(), 8, true, out IntPtr token);
                        CloseHandle(token);
                        Native.RevertToSelf();
                    }
                }
                """);
        }

        [Fact]
        public Task Catch_followed_only_by_a_plain_return_does_not_swallow()
        {
            return NetFramework.AnalyzerAsync(Usings + """
                class Security
                {
                    private static void Log(Exception e) { }

                    public WindowsImpersonationContext ImpersonateUser(WindowsIdentity identity)
                    {
                        WindowsImpersonationContext context = null;
                        try
                        {
                            context = identity.Impersonate();
                        }
                        catch (Exception e)
                        {
                            Log(e);
                        }

                        return context;
                    }

                    public void Swallows(WindowsIdentity identity)
                    {
                        WindowsImpersonationContext context = null;
                        try
                        {
                            context = {|COMIMP007:{|COMIMP004:identity.Impersonate()|}|};
                        }
                        catch (Exception e)
                        {
                            Log(e);
                        }

                        Log(null);
                        context?.Undo();
                    }
                }
                """);
        }
    }
}
