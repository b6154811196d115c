using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    public class SmokeTests
    {
        private const string Interop = @"
using System;
using System.Runtime.InteropServices;

[ComImport, Guid(""0000013E-0000-0000-C000-000000000046""), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
interface IServerSecurity
{
    void QueryBlanket(IntPtr a, IntPtr b, IntPtr c, IntPtr d, IntPtr e, IntPtr f, IntPtr g);
    [PreserveSig] int ImpersonateClient();
    [PreserveSig] int RevertToSelf();
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
        public Task All_three_rules()
        {
            const string source = @"
class CallObject
{
    private ISynchronize _sync;
    private IServerSecurity _security;

    public void Begin_Work()
    {
        if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return;
        {|COMIMP003:_sync.Signal()|};
        if ({|COMIMP001:_security.ImpersonateClient()|} < 0) return;
        NativeMethods.CoRevertToSelf();
    }

    public void Begin_Good()
    {
        int hr = NativeMethods.CoImpersonateClient();
        if (hr < 0) return;
        try { } finally { NativeMethods.CoRevertToSelf(); }
        _sync.Signal();
    }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }
    }
}
