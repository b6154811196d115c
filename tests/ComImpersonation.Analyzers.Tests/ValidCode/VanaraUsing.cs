// Vanara-shaped interop: Vanara.PInvoke.HRESULT with ThrowIfFailed/Failed/Succeeded, Ole32 P/Invokes and nested
// COM interfaces. `using` statements around impersonated regions, with the revert in a finally inside them.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;
using Vanara.PInvoke;
using static Vanara.PInvoke.Ole32;

namespace Vanara.PInvoke
{
    internal static class Lib
    {
        public const string Ole32 = "ole32.dll";
    }

    [StructLayout(LayoutKind.Sequential)]
    public partial struct HRESULT : IEquatable<HRESULT>
    {
        internal readonly int _value;

        public const int S_OK = 0;

        public const int E_ACCESSDENIED = unchecked((int)0x80070005);

        public HRESULT(int rawValue) => _value = rawValue;

        public bool Failed => _value < 0;

        public bool Succeeded => _value >= 0;

        public void ThrowIfFailed(string message = null)
        {
            if (_value < 0)
            {
                Marshal.ThrowExceptionForHR(_value);
            }
        }

        public static implicit operator HRESULT(int value) => new HRESULT(value);

        public static explicit operator int(HRESULT value) => value._value;

        public static bool operator ==(HRESULT hrLeft, HRESULT hrRight) => hrLeft._value == hrRight._value;

        public static bool operator !=(HRESULT hrLeft, HRESULT hrRight) => !(hrLeft == hrRight);

        public bool Equals(HRESULT other) => _value == other._value;

        public override bool Equals(object obj) => obj is HRESULT other && Equals(other);

        public override int GetHashCode() => _value;
    }

    public static partial class Ole32
    {
        [DllImport(Lib.Ole32, SetLastError = false, ExactSpelling = true)]
        public static extern HRESULT CoImpersonateClient();

        [DllImport(Lib.Ole32, SetLastError = false, ExactSpelling = true)]
        public static extern HRESULT CoRevertToSelf();

        [DllImport(Lib.Ole32, SetLastError = false, ExactSpelling = true)]
        public static extern HRESULT CoGetCallContext(in Guid riid, [MarshalAs(UnmanagedType.IUnknown)] out object ppInterface);

        [ComImport, Guid("0000013E-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
        public interface IServerSecurity
        {
            [PreserveSig]
            HRESULT QueryBlanket(out uint pAuthnSvc, out uint pAuthzSvc, out IntPtr pServerPrincName, out uint pAuthnLevel, out uint pImpLevel, out IntPtr pPrivs, ref uint pCapabilities);

            [PreserveSig]
            HRESULT ImpersonateClient();

            [PreserveSig]
            HRESULT RevertToSelf();

            [PreserveSig]
            [return: MarshalAs(UnmanagedType.Bool)]
            bool IsImpersonating();
        }

        [ComImport, Guid("00000030-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
        public interface ISynchronize
        {
            [PreserveSig]
            HRESULT Wait(uint dwFlags, uint dwMilliseconds);

            [PreserveSig]
            HRESULT Signal();

            [PreserveSig]
            HRESULT Reset();
        }
    }
}

namespace ValidCode.VanaraUsing
{
    public sealed class AuditedExportCallObject
    {
        private readonly ISynchronize _sync;
        private readonly string _auditPath;
        private HRESULT _hr;
        private byte[] _data;

        public AuditedExportCallObject(ISynchronize sync, string auditPath)
        {
            _sync = sync;
            _auditPath = auditPath;
        }

        // The audit log is opened as the server; the client's file is read as the client inside it.
        public void Begin_Export(string path)
        {
            using (StreamWriter audit = File.AppendText(_auditPath))
            {
                CoImpersonateClient().ThrowIfFailed();
                try
                {
                    _data = File.ReadAllBytes(path);
                }
                finally
                {
                    CoRevertToSelf(); // control: remove
                }

                audit.WriteLine("exported " + path);
            }

            _sync.Signal();
        }

        public byte[] Finish_Export() => _data;

        // A using declaration, and the result kept in a local before ThrowIfFailed.
        public void Begin_Import(string path, byte[] data)
        {
            using var audit = new StreamWriter(_auditPath, append: true);
            HRESULT hr = CoImpersonateClient();
            hr.ThrowIfFailed();
            try
            {
                using (FileStream target = File.Create(path))
                {
                    target.Write(data, 0, data.Length);
                }
            }
            finally
            {
                CoRevertToSelf(); // control: remove
            }

            audit.WriteLine("imported " + path);
            _sync.Signal();
        }

        public void Finish_Import()
        {
        }

        // Ole32.IServerSecurity from CoGetCallContext; `.Failed`, `!Succeeded` and `== S_OK` checks.
        public void Begin_Verify(string path)
        {
            HRESULT hr = CoGetCallContext(typeof(IServerSecurity).GUID, out object context);
            if (hr.Failed)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            var security = (IServerSecurity)context;
            hr = security.ImpersonateClient();
            if (!hr.Succeeded)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                using (FileStream stream = File.OpenRead(path))
                {
                    _data = new byte[Math.Min(stream.Length, 16)];
                    stream.ReadExactly(_data);
                }
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _hr = HRESULT.S_OK;
            _sync.Signal();
        }

        public HRESULT Finish_Verify() => _hr;

        public void Begin_Peek(IServerSecurity security, string path)
        {
            if (security.ImpersonateClient() == HRESULT.S_OK)
            {
                try
                {
                    _data = File.Exists(path) ? File.ReadAllBytes(path) : Array.Empty<byte>();
                }
                finally
                {
                    security.RevertToSelf(); // control: remove
                }
            }
            else
            {
                _hr = HRESULT.E_ACCESSDENIED;
            }

            _sync.Signal();
        }

        public byte[] Finish_Peek()
        {
            _hr.ThrowIfFailed();
            return _data;
        }
    }
}
