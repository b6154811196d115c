using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Interprocedural
{
    /// <summary>SPEC §2 "Through the code base" and §5 options: summaries, scopes, depth, and configured methods.</summary>
    public class InterproceduralTests
    {
        internal const string Interop = @"
using System;
using System.Runtime.InteropServices;

[ComImport, Guid(""00000030-0000-0000-C000-000000000046""), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
public interface ISynchronize
{
    void Wait(uint flags, uint milliseconds);
    void Signal();
    void Reset();
}

public static class Ole32
{
    [DllImport(""ole32.dll"")] public static extern int CoImpersonateClient();
    [DllImport(""ole32.dll"")] public static extern int CoRevertToSelf();
}

public static class Work { public static void Do() { } }
";

        [Fact]
        public Task Chains_of_one_two_and_three_helpers_are_seen_through()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;

    static int Impersonate1() => Ole32.CoImpersonateClient();
    static int Impersonate2() => Impersonate1();
    static int Impersonate3() => Impersonate2();
    void Complete() => _sync.Signal();

    public void Begin_One()
    {
        Complete();
        if ({|COMIMP001:Impersonate1()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }

    public void Begin_Two()
    {
        Complete();
        if ({|COMIMP001:Impersonate2()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }

    public void Begin_Three()
    {
        Complete();
        if ({|COMIMP001:Impersonate3()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task Signal_wrappers_and_client_identity_helpers_are_seen_through_chains_of_three()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;

    void Complete(int hr) => _sync.Signal();
    void Complete2(int hr) => Complete(hr);
    void Complete3(int hr) => Complete2(hr);

    static bool AsClient()
    {
        if (Ole32.CoImpersonateClient() < 0) return false;
        try { Work.Do(); return true; } finally { Ole32.CoRevertToSelf(); }
    }

    static bool AsClient2() => AsClient();
    static bool AsClient3() => AsClient2();

    public void Begin_One()
    {
        Complete(0);
        {|COMIMP001:AsClient()|};
    }

    public void Begin_Two()
    {
        Complete2(0);
        {|COMIMP001:AsClient2()|};
    }

    public void Begin_Three()
    {
        Complete3(0);
        {|COMIMP001:AsClient3()|};
    }

    public void Begin_Good()
    {
        AsClient3();
        Complete3(0);
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task A_signal_wrapper_called_while_a_wrapper_impersonates_is_COMIMP003_at_its_call()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;

    static int Impersonate() => Ole32.CoImpersonateClient();
    static void Revert() => Ole32.CoRevertToSelf();
    void Complete(int hr) => _sync.Signal();

    public void Begin_Work()
    {
        if (Impersonate() < 0) { Complete(-1); return; }
        try
        {
            Work.Do();
            {|COMIMP003:Complete(0)|};
        }
        finally { Revert(); }
    }

    public void Begin_Good()
    {
        if (Impersonate() < 0) { Complete(-1); return; }
        try { Work.Do(); } finally { Revert(); }
        Complete(0);
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task A_fourth_helper_is_beyond_the_default_depth()
        {
            // Depth 3 (the default) summarises three levels of helpers; Impersonate4 needs four, so the call is
            // opaque: nothing is reported through it (in doubt, quiet).
            const string source = @"
class Server
{
    private ISynchronize _sync;

    static int Impersonate1() => Ole32.CoImpersonateClient();
    static int Impersonate2() => Impersonate1();
    static int Impersonate3() => Impersonate2();
    static int Impersonate4() => Impersonate3();

    public void Begin_Four()
    {
        _sync.Signal();
        if (Impersonate4() < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task Wrappers_and_their_callers()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;

    // An impersonation wrapper is not itself reported for a missing revert.
    static int Impersonate() => Ole32.CoImpersonateClient();
    static void Revert() => Ole32.CoRevertToSelf();

    static bool ExistsAsClient(string path)
    {
        if (Ole32.CoImpersonateClient() < 0) return false;
        try { return System.IO.File.Exists(path); } finally { Ole32.CoRevertToSelf(); }
    }

    public void Begin_NoRevert()
    {
        if ({|COMIMP002:Impersonate()|} < 0) return;
        Work.Do();
    }

    public void Begin_Discarded()
    {
        {|COMIMP004:Impersonate()|};
        try { Work.Do(); } finally { Revert(); }
    }

    public void Begin_ClientIdentityAfterSignal(string path)
    {
        _sync.Signal();
        {|COMIMP001:ExistsAsClient(path)|};
    }

    public void Begin_Good(string path)
    {
        if (Impersonate() < 0) { _sync.Signal(); return; }
        try { Work.Do(); } finally { Revert(); }
        ExistsAsClient(path);
        _sync.Signal();
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task Scopes_impersonate_in_the_constructor_and_revert_in_Dispose()
        {
            const string source = @"
using System;
using System.Runtime.InteropServices;

sealed class ClientScope : IDisposable
{
    public ClientScope() { Marshal.ThrowExceptionForHR(Ole32.CoImpersonateClient()); }
    public void Dispose() { Ole32.CoRevertToSelf(); }
}

class Server
{
    private ISynchronize _sync;

    public void Begin_UsingBlock()
    {
        using (new ClientScope()) { Work.Do(); }
        _sync.Signal();
    }

    public void Begin_UsingDeclaration()
    {
        {
            using var scope = new ClientScope();
            Work.Do();
        }
        _sync.Signal();
    }

    public void Begin_NeverDisposed()
    {
        var scope = {|COMIMP002:new ClientScope()|};
        Work.Do();
    }

    public void Begin_SignalInsideScope()
    {
        using (new ClientScope())
        {
            {|COMIMP003:_sync.Signal()|};
        }
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task Mutual_recursion_is_cut_off_without_a_crash()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;
    private int _n;

    void Ping() { if (_n-- > 0) Pong(); else _sync.Signal(); }
    void Pong() { if (_n-- > 0) Ping(); }
    int Recurse() => _n-- > 0 ? Recurse() : Ole32.CoImpersonateClient();

    public void Begin_Work()
    {
        Ping();
        if ({|COMIMP001:Recurse()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }
}";
            // Recursion is cut off where a method calls itself (that call is opaque). Recurse then impersonates on
            // one path only and returns the result there: a begin helper (SPEC §2 hand-offs), so its caller sees an
            // impersonation, after Ping's signal.
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task Virtual_interface_and_delegate_calls_are_opaque()
        {
            const string source = @"
using System;

interface ICompletion { void Complete(); }

class Server : ICompletion
{
    private ISynchronize _sync;
    private ICompletion _completion;
    private Action _done;

    public void Complete() => _sync.Signal();
    protected virtual void Finish() => _sync.Signal();

    public void Begin_Work()
    {
        _completion.Complete();
        Finish();
        _done();
        if (Ole32.CoImpersonateClient() < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        [Fact]
        public Task Depth_zero_turns_summaries_off()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;
    void Complete() => _sync.Signal();

    public void Begin_Work()
    {
        Complete();
        if (Ole32.CoImpersonateClient() < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }
}";
            return OptionsTests.RunAsync(new[] { Interop, source }, "root = true\n\n[*]\ncomimp.interprocedural_depth = 0\n");
        }

        [Fact]
        public Task Depth_four_sees_a_fourth_helper_and_depth_one_only_the_first()
        {
            const string source = @"
class Server
{
    private ISynchronize _sync;

    static int Impersonate1() => Ole32.CoImpersonateClient();
    static int Impersonate2() => Impersonate1();
    static int Impersonate3() => Impersonate2();
    static int Impersonate4() => Impersonate3();

    public void Begin_One()
    {
        _sync.Signal();
        if ({|#0:Impersonate1()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }

    public void Begin_Two()
    {
        _sync.Signal();
        if ({|#1:Impersonate2()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }

    public void Begin_Four()
    {
        _sync.Signal();
        if ({|#2:Impersonate4()|} < 0) return;
        try { Work.Do(); } finally { Ole32.CoRevertToSelf(); }
    }
}";
            return Task.WhenAll(
                OptionsTests.RunAsync(
                    new[] { Interop, source },
                    "root = true\n\n[*]\ncomimp.interprocedural_depth = 4\n",
                    Verify.Diagnostic("COMIMP001").WithLocation(0),
                    Verify.Diagnostic("COMIMP001").WithLocation(1),
                    Verify.Diagnostic("COMIMP001").WithLocation(2)),
                OptionsTests.RunAsync(
                    new[] { Interop, source },
                    "root = true\n\n[*]\ncomimp.interprocedural_depth = 1\n",
                    Verify.Diagnostic("COMIMP001").WithLocation(0)));
        }
    }
}
