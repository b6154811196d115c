using System;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

// A COM server only ever runs on Windows; this also keeps the platform-compatibility analyzer (CA1416) quiet.
[assembly: SupportedOSPlatform("windows")]

namespace AsyncComServer.Interop
{
    /// <summary>The call context of the call being dispatched (objidl.h). Obtained with <see cref="Ole32.CoGetCallContext"/>.</summary>
    [ComImport]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface IServerSecurity
    {
        [PreserveSig]
        int QueryBlanket(out uint authnSvc, out uint authzSvc, IntPtr serverPrincName, out uint authnLevel, out uint impLevel, IntPtr privs, IntPtr capabilities);

        [PreserveSig]
        int ImpersonateClient();

        [PreserveSig]
        int RevertToSelf();

        [PreserveSig]
        [return: MarshalAs(UnmanagedType.Bool)]
        bool IsImpersonating();
    }

    /// <summary>
    /// Implemented by COM on the call object's controlling unknown. The server calls <see cref="Signal"/> when an
    /// asynchronous call is done; the client may then call <c>Finish_</c> and the call context is gone.
    /// </summary>
    [ComImport]
    [Guid("00000030-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface ISynchronize
    {
        [PreserveSig]
        int Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    /// <summary>Implemented by a server object that supports asynchronous calls: COM asks it for a call object per call.</summary>
    [ComImport]
    [Guid("1C733A30-2A1C-11CE-ADE5-00AA0044773D")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface ICallFactory
    {
        void CreateCall(ref Guid riid, IntPtr controllingUnknown, ref Guid riid2, out IntPtr call);
    }

    internal static class Ole32
    {
        /// <summary>CoGetCallContext(IID_IServerSecurity) + IServerSecurity::ImpersonateClient.</summary>
        [DllImport("ole32.dll")]
        public static extern int CoImpersonateClient();

        /// <summary>CoGetCallContext(IID_IServerSecurity) + IServerSecurity::RevertToSelf.</summary>
        [DllImport("ole32.dll")]
        public static extern int CoRevertToSelf();

        [DllImport("ole32.dll")]
        public static extern int CoGetCallContext(in Guid riid, [MarshalAs(UnmanagedType.Interface)] out IServerSecurity? context);
    }

    internal static class HResults
    {
        public const int S_OK = 0;
        public const int E_INVALIDARG = unchecked((int)0x80070057);
        public const int E_NOINTERFACE = unchecked((int)0x80004002);
        public const int CLASS_E_NOAGGREGATION = unchecked((int)0x80040110);
        public const int E_ACCESSDENIED = unchecked((int)0x80070005);
        public const int E_PATHNOTFOUND = unchecked((int)0x80070003);

        /// <summary>What impersonation returns once the call has completed (after <c>ISynchronize::Signal</c>).</summary>
        public const int RPC_E_CALL_COMPLETE = unchecked((int)0x80010117);
    }

    internal static class InterfaceIds
    {
        public static readonly Guid IUnknown = new Guid("00000000-0000-0000-C000-000000000046");
        public static readonly Guid IServerSecurity = typeof(IServerSecurity).GUID;
    }
}
