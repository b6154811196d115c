// CsWin32-shaped interop with marshalling off: COM types are unsafe vtable structs used through pointers.
// positive-control: COMIMP002, COMIMP007
using System.IO;
using Windows.Win32;
using Windows.Win32.Foundation;
using Windows.Win32.System.Com;

namespace Windows.Win32.Foundation
{
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

        public static readonly HRESULT S_OK = (HRESULT)0;

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
    using global::System.Runtime.CompilerServices;
    using global::System.Runtime.InteropServices;
    using winmdroot = global::Windows.Win32;

    [Guid("0000013E-0000-0000-C000-000000000046")]
    public unsafe partial struct IServerSecurity
    {
        public uint Release()
        {
            return ((delegate *unmanaged [Stdcall]<IServerSecurity*, uint>)lpVtbl[2])((IServerSecurity*)Unsafe.AsPointer(ref this));
        }

        public winmdroot.Foundation.HRESULT ImpersonateClient()
        {
            return ((delegate *unmanaged [Stdcall]<IServerSecurity*, winmdroot.Foundation.HRESULT>)lpVtbl[4])((IServerSecurity*)Unsafe.AsPointer(ref this));
        }

        public winmdroot.Foundation.HRESULT RevertToSelf()
        {
            return ((delegate *unmanaged [Stdcall]<IServerSecurity*, winmdroot.Foundation.HRESULT>)lpVtbl[5])((IServerSecurity*)Unsafe.AsPointer(ref this));
        }

        private void** lpVtbl;

        internal static readonly global::System.Guid IID_Guid = new global::System.Guid(0x0000013E, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46);
    }

    [Guid("00000030-0000-0000-C000-000000000046")]
    public unsafe partial struct ISynchronize
    {
        public winmdroot.Foundation.HRESULT Signal()
        {
            return ((delegate *unmanaged [Stdcall]<ISynchronize*, winmdroot.Foundation.HRESULT>)lpVtbl[4])((ISynchronize*)Unsafe.AsPointer(ref this));
        }

        private void** lpVtbl;
    }
}

namespace Windows.Win32
{
    using global::System.Runtime.InteropServices;

    public static unsafe partial class PInvoke
    {
        [DllImport("OLE32.dll", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern global::Windows.Win32.Foundation.HRESULT CoGetCallContext(global::System.Guid* riid, void** ppInterface);
    }
}

namespace ValidCode.CsWin32Vtables
{
    public sealed unsafe class CatalogCallObject
    {
        private readonly ISynchronize* _sync;
        private HRESULT _hr;
        private string[] _lines;

        public CatalogCallObject(ISynchronize* sync)
        {
            _sync = sync;
        }

        private static HRESULT GetServerSecurity(out IServerSecurity* security)
        {
            global::System.Guid iid = IServerSecurity.IID_Guid;
            void* pointer;
            HRESULT hr = PInvoke.CoGetCallContext(&iid, &pointer);
            security = hr.Succeeded ? (IServerSecurity*)pointer : null;
            return hr;
        }

        public void Begin_Read(string path)
        {
            HRESULT hr = GetServerSecurity(out IServerSecurity* security);
            if (hr.Failed)
            {
                _hr = hr;
                _sync->Signal();
                return;
            }

            try
            {
                hr = security->ImpersonateClient();
                if (!hr.Succeeded)
                {
                    _hr = hr;
                    _sync->Signal();
                    return;
                }

                try
                {
                    _lines = File.ReadAllLines(path);
                }
                finally
                {
                    security->RevertToSelf(); // control: remove
                }
            }
            finally
            {
                security->Release();
            }

            _sync->Signal();
        }

        // Nested success checks; the security pointer is released in the outer finally, Signal comes last.
        public void Begin_Count(string path)
        {
            HRESULT hr = GetServerSecurity(out IServerSecurity* security);
            if (hr.Succeeded)
            {
                try
                {
                    hr = security->ImpersonateClient();
                    if (hr.Succeeded)
                    {
                        try
                        {
                            _lines = File.ReadAllLines(path);
                        }
                        finally
                        {
                            security->RevertToSelf(); // control: remove
                        }
                    }
                }
                finally
                {
                    security->Release();
                }
            }

            _hr = hr;
            _sync->Signal();
        }

        public int Finish_Count()
        {
            _hr.ThrowOnFailure();
            return _lines.Length;
        }

        public string[] Finish_Read()
        {
            _hr.ThrowOnFailure();
            return _lines;
        }
    }
}
