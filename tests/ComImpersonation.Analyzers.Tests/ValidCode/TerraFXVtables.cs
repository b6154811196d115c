// TerraFX-style interop: unsafe vtable structs, an HRESULT struct and FAILED/SUCCEEDED on the static class
// Windows. Nested try/catch/finally with the revert in the inner finally; the call context is released last.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TerraFX.Interop.Windows;
using static TerraFX.Interop.Windows.Windows;

namespace TerraFX.Interop.Windows
{
    public readonly partial struct HRESULT : IComparable<HRESULT>, IEquatable<HRESULT>
    {
        public readonly int Value;

        public HRESULT(int value)
        {
            Value = value;
        }

        public static bool operator ==(HRESULT left, HRESULT right) => left.Value == right.Value;

        public static bool operator !=(HRESULT left, HRESULT right) => left.Value != right.Value;

        public static bool operator <(HRESULT left, HRESULT right) => left.Value < right.Value;

        public static bool operator <=(HRESULT left, HRESULT right) => left.Value <= right.Value;

        public static bool operator >(HRESULT left, HRESULT right) => left.Value > right.Value;

        public static bool operator >=(HRESULT left, HRESULT right) => left.Value >= right.Value;

        public static implicit operator HRESULT(int value) => new HRESULT(value);

        public static explicit operator int(HRESULT value) => value.Value;

        public int CompareTo(HRESULT other) => Value.CompareTo(other.Value);

        public bool Equals(HRESULT other) => Value == other.Value;

        public override bool Equals(object obj) => obj is HRESULT other && Equals(other);

        public override int GetHashCode() => Value.GetHashCode();
    }

    public static unsafe partial class Windows
    {
        public const int S_OK = 0;

        public static bool FAILED(HRESULT hr) => hr < 0;

        public static bool SUCCEEDED(HRESULT hr) => hr >= 0;

        [DllImport("ole32", ExactSpelling = true)]
        public static extern HRESULT CoGetCallContext(Guid* riid, void** ppInterface);

        public static ref readonly Guid IID_IServerSecurity
        {
            get
            {
                ReadOnlySpan<byte> data = new byte[] { 0x3E, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
                return ref Unsafe.As<byte, Guid>(ref MemoryMarshal.GetReference(data));
            }
        }
    }

    [Guid("0000013E-0000-0000-C000-000000000046")]
    public unsafe partial struct IServerSecurity
    {
        public void** lpVtbl;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Release() => ((delegate* unmanaged<IServerSecurity*, uint>)(lpVtbl[2]))((IServerSecurity*)Unsafe.AsPointer(ref this));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public HRESULT ImpersonateClient() => ((delegate* unmanaged<IServerSecurity*, int>)(lpVtbl[4]))((IServerSecurity*)Unsafe.AsPointer(ref this));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public HRESULT RevertToSelf() => ((delegate* unmanaged<IServerSecurity*, int>)(lpVtbl[5]))((IServerSecurity*)Unsafe.AsPointer(ref this));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int IsImpersonating() => ((delegate* unmanaged<IServerSecurity*, int>)(lpVtbl[6]))((IServerSecurity*)Unsafe.AsPointer(ref this));
    }

    [Guid("00000030-0000-0000-C000-000000000046")]
    public unsafe partial struct ISynchronize
    {
        public void** lpVtbl;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public HRESULT Signal() => ((delegate* unmanaged<ISynchronize*, int>)(lpVtbl[4]))((ISynchronize*)Unsafe.AsPointer(ref this));
    }
}

namespace ValidCode.TerraFXVtables
{
    public sealed unsafe class ThumbnailCallObject
    {
        private readonly ISynchronize* _sync;
        private HRESULT _hr;
        private byte[] _thumbnail;

        public ThumbnailCallObject(ISynchronize* sync)
        {
            _sync = sync;
        }

        public void Begin_Render(string path)
        {
            IServerSecurity* security = null;
            fixed (Guid* iid = &IID_IServerSecurity)
            {
                _hr = CoGetCallContext(iid, (void**)&security);
            }

            if (FAILED(_hr))
            {
                _sync->Signal();
                return;
            }

            try
            {
                HRESULT hr = security->ImpersonateClient();
                if (FAILED(hr))
                {
                    _hr = hr;
                }
                else
                {
                    try
                    {
                        try
                        {
                            _thumbnail = File.ReadAllBytes(path);
                        }
                        catch (IOException e)
                        {
                            _hr = e.HResult;
                        }
                    }
                    finally
                    {
                        security->RevertToSelf(); // control: remove
                    }
                }
            }
            catch (Exception e)
            {
                _hr = e.HResult;
            }
            finally
            {
                security->Release();
            }

            _sync->Signal();
        }

        public byte[] Finish_Render()
        {
            Marshal.ThrowExceptionForHR(_hr.Value);
            return _thumbnail;
        }

        // SUCCEEDED guards the region directly.
        public void Begin_Exists(IServerSecurity* security, string path)
        {
            if (SUCCEEDED(security->ImpersonateClient()))
            {
                try
                {
                    _thumbnail = File.Exists(path) ? Array.Empty<byte>() : null;
                }
                finally
                {
                    security->RevertToSelf(); // control: remove
                }
            }
            else
            {
                _hr = unchecked((int)0x80070005);
            }

            _sync->Signal();
        }

        public bool Finish_Exists() => _thumbnail != null;
    }
}
