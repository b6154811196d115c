using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    public class AllRulesTogetherTests
    {
        private const string Interop = @"
using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

[ComImport, Guid(""0000013E-0000-0000-C000-000000000046""), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
interface IServerSecurity
{
    void QueryBlanket(IntPtr a, IntPtr b, IntPtr c, IntPtr d, IntPtr e, IntPtr f, IntPtr g);
    void ImpersonateClient();
    void RevertToSelf();
    [PreserveSig] bool IsImpersonating();
}

[ComImport, Guid(""00000030-0000-0000-C000-000000000046""), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
interface ISynchronize
{
    void Wait(uint flags, uint milliseconds);
    void Signal();
    void Reset();
}

static class NativeMethods
{
    [DllImport(""ole32.dll"")] public static extern int CoImpersonateClient();
    [DllImport(""ole32.dll"")] public static extern int CoRevertToSelf();
}
";

        [Fact]
        public Task Rules_004_to_007()
        {
            const string source = @"
using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

class CallObject
{
    private ISynchronize _sync;
    private IServerSecurity _security;
    static void Work() { }

    public void Begin_Discard()
    {
        {|COMIMP004:NativeMethods.CoImpersonateClient()|};
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    public void Begin_NeverRead()
    {
        int hr = {|COMIMP004:NativeMethods.CoImpersonateClient()|};
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    public void Begin_Swallowed()
    {
        try { {|COMIMP004:_security.ImpersonateClient()|}; } catch (COMException) { }
        try { Work(); } finally { _security.RevertToSelf(); }
    }

    public void Finish_Work()
    {
        int hr = {|COMIMP005:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    public void Begin_Pool()
    {
        Task.Run(() =>
        {
            int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
            if (hr < 0) return;
            try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
        });
        ThreadPool.QueueUserWorkItem({|COMIMP006:AsClient|});
    }

    static void AsClient(object state)
    {
        int hr = NativeMethods.CoImpersonateClient();
        if (hr < 0) return;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    public async Task Begin_Async()
    {
        await Task.Yield();
        int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    public async Task Begin_Across()
    {
        int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return;
        try { await Task.Yield(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    public void Begin_NoFinally()
    {
        int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return;
        Work();
        NativeMethods.CoRevertToSelf();
        _sync.Signal();
    }

    public void Begin_Good()
    {
        int hr = NativeMethods.CoImpersonateClient();
        if (hr < 0) return;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
        _sync.Signal();
    }

    public void Begin_GoodNested()
    {
        try
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0) return;
            try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
        }
        catch (Exception) { }
        _sync.Signal();
    }

    public void Begin_GoodThrowing()
    {
        _security.ImpersonateClient();
        try { Work(); } finally { _security.RevertToSelf(); }
        _sync.Signal();
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }
    }
}
