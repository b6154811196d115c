// CsWin32-shaped interop (marshalling on): Windows.Win32.Foundation.HRESULT with Failed/Succeeded/ThrowOnFailure,
// COM interfaces in Windows.Win32.System.Com, P/Invokes on Windows.Win32.PInvoke.
// positive-control: COMIMP002, COMIMP007
using System.IO;
using Windows.Win32;
using Windows.Win32.Foundation;
using Windows.Win32.System.Com;

namespace Windows.Win32.Foundation
{
    [global::System.Diagnostics.DebuggerDisplay("{Value}")]
    public readonly partial struct HRESULT : global::System.IEquatable<HRESULT>
    {
        public readonly int Value;

        public HRESULT(int value) => this.Value = value;

        public static implicit operator int(HRESULT value) => value.Value;

        public static explicit operator HRESULT(int value) => new HRESULT(value);

        public static bool operator ==(HRESULT left, HRESULT right) => left.Value == right.Value;

        public static bool operator !=(HRESULT left, HRESULT right) => !(left == right);

        public bool Equals(HRESULT other) => this.Value == other.Value;

        public override bool Equals(object obj) => obj is HRESULT other && this.Equals(other);

        public override int GetHashCode() => this.Value.GetHashCode();

        public override string ToString() => string.Format(global::System.Globalization.CultureInfo.InvariantCulture, "0x{0:X8}", this.Value);

        public static readonly HRESULT S_OK = (HRESULT)0;

        public static readonly HRESULT E_ACCESSDENIED = (HRESULT)unchecked((int)0x80070005);

        public bool Succeeded => this.Value >= 0;

        public bool Failed => this.Value < 0;

        public HRESULT ThrowOnFailure(global::System.IntPtr errorInfo = default)
        {
            global::System.Runtime.InteropServices.Marshal.ThrowExceptionForHR(this.Value, errorInfo);
            return this;
        }
    }
}

namespace Windows.Win32.System.Com
{
    using global::System.Runtime.InteropServices;
    using winmdroot = global::Windows.Win32;

    [Guid("0000013E-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown), ComImport()]
    public interface IServerSecurity
    {
        unsafe void QueryBlanket(uint* pAuthnSvc, uint* pAuthzSvc, char** pServerPrincName, uint* pAuthnLevel, uint* pImpLevel, void** pPrivs, uint* pCapabilities);

        [PreserveSig()]
        winmdroot.Foundation.HRESULT ImpersonateClient();

        [PreserveSig()]
        winmdroot.Foundation.HRESULT RevertToSelf();

        [PreserveSig()]
        winmdroot.Foundation.BOOL IsImpersonating();
    }

    [Guid("00000030-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown), ComImport()]
    public interface ISynchronize
    {
        void Wait(uint dwFlags, uint dwMilliseconds);

        void Signal();

        void Reset();
    }
}

namespace Windows.Win32.Foundation
{
    public readonly partial struct BOOL
    {
        private readonly int value;

        public BOOL(bool value) => this.value = value ? 1 : 0;

        public static implicit operator bool(BOOL value) => value.value != 0;
    }
}

namespace Windows.Win32
{
    using global::System.Runtime.InteropServices;
    using winmdroot = global::Windows.Win32;

    public static partial class PInvoke
    {
        [DllImport("OLE32.dll", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern winmdroot.Foundation.HRESULT CoImpersonateClient();

        [DllImport("OLE32.dll", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern winmdroot.Foundation.HRESULT CoRevertToSelf();

        [DllImport("OLE32.dll", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern winmdroot.Foundation.HRESULT CoGetCallContext(in global::System.Guid riid, [MarshalAs(UnmanagedType.IUnknown)] out object ppInterface);
    }
}

namespace ValidCode.CsWin32Marshalled
{
    public sealed class ProfileCallObject
    {
        private readonly object _gate = new object();
        private readonly ISynchronize _sync;
        private HRESULT _hr;
        private string _profile;

        public ProfileCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        // ThrowOnFailure is the check; the exception leaves Begin_ before anything runs as the server.
        public void Begin_Read(string path)
        {
            PInvoke.CoImpersonateClient().ThrowOnFailure();
            try
            {
                _profile = File.ReadAllText(path);
            }
            finally
            {
                PInvoke.CoRevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public string Finish_Read() => _profile;

        // IServerSecurity from CoGetCallContext, `.Failed` as the check, a lock around the impersonated region.
        public void Begin_Write(string path, string profile)
        {
            HRESULT hr = PInvoke.CoGetCallContext(typeof(IServerSecurity).GUID, out object context);
            if (hr.Failed || context is not IServerSecurity security)
            {
                _hr = hr.Failed ? hr : HRESULT.E_ACCESSDENIED;
                _sync.Signal();
                return;
            }

            lock (_gate)
            {
                hr = security.ImpersonateClient();
                if (hr.Failed)
                {
                    _hr = hr;
                    _sync.Signal();
                    return;
                }

                try
                {
                    File.WriteAllText(path, profile);
                    _profile = profile;
                }
                finally
                {
                    security.RevertToSelf(); // control: remove
                }
            }

            _hr = HRESULT.S_OK;
            _sync.Signal();
        }

        public void Finish_Write() => _hr.ThrowOnFailure();

        // `.Succeeded` guards the impersonated region; `!= S_OK` as a failure test on the P/Invoke.
        public void Begin_Exists(string path)
        {
            HRESULT hr = PInvoke.CoImpersonateClient();
            if (hr != HRESULT.S_OK)
            {
                _hr = hr;
            }
            else
            {
                try
                {
                    _profile = File.Exists(path) ? path : null;
                }
                finally
                {
                    PInvoke.CoRevertToSelf(); // control: remove
                }
            }

            _sync.Signal();
        }

        public bool Finish_Exists()
        {
            _hr.ThrowOnFailure();
            return _profile != null;
        }

        public void Begin_Probe(IServerSecurity security, string path)
        {
            HRESULT hr = security.ImpersonateClient();
            if (hr.Succeeded)
            {
                try
                {
                    _profile = File.Exists(path) ? path : null;
                }
                finally
                {
                    security.RevertToSelf(); // control: remove
                }
            }

            _hr = hr;
            _sync.Signal();
        }

        public HRESULT Finish_Probe() => _hr;

        private static HRESULT ImpersonateCaller() => PInvoke.CoImpersonateClient();

        private static void RevertToServer() => PInvoke.CoRevertToSelf();

        public void Begin_Size(string path)
        {
            HRESULT hr = ImpersonateCaller();
            if (hr.Failed)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                _profile = new FileInfo(path).Length.ToString(global::System.Globalization.CultureInfo.InvariantCulture);
            }
            finally
            {
                RevertToServer();
            }

            _sync.Signal();
        }

        public string Finish_Size() => _profile;
    }
}
