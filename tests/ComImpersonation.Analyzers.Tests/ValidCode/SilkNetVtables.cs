// Silk.NET-shaped interop: vtable structs with a lower-case [Guid] and readonly methods returning int.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Core.Win32Extras;

namespace Silk.NET.Core.Win32Extras
{
    [Guid("0000013e-0000-0000-c000-000000000046")]
    public unsafe partial struct IServerSecurity
    {
        public void** LpVtbl;

        public readonly int ImpersonateClient()
        {
            var @this = (IServerSecurity*)Unsafe.AsPointer(ref Unsafe.AsRef(in this));
            int ret = default;
            ret = ((delegate* unmanaged[Stdcall]<IServerSecurity*, int>)@this->LpVtbl[4])(@this);
            return ret;
        }

        public readonly int RevertToSelf()
        {
            var @this = (IServerSecurity*)Unsafe.AsPointer(ref Unsafe.AsRef(in this));
            int ret = default;
            ret = ((delegate* unmanaged[Stdcall]<IServerSecurity*, int>)@this->LpVtbl[5])(@this);
            return ret;
        }
    }

    [Guid("00000030-0000-0000-c000-000000000046")]
    public unsafe partial struct ISynchronize
    {
        public void** LpVtbl;

        public readonly int Signal()
        {
            var @this = (ISynchronize*)Unsafe.AsPointer(ref Unsafe.AsRef(in this));
            int ret = default;
            ret = ((delegate* unmanaged[Stdcall]<ISynchronize*, int>)@this->LpVtbl[4])(@this);
            return ret;
        }
    }
}

namespace ValidCode.SilkNetVtables
{
    public sealed unsafe class RenameCallObject
    {
        private readonly IServerSecurity* _security;
        private readonly ISynchronize* _sync;
        private int _hr;

        public RenameCallObject(IServerSecurity* security, ISynchronize* sync)
        {
            _security = security;
            _sync = sync;
        }

        public void Begin_Rename(string from, string to)
        {
            int hr = _security->ImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync->Signal();
                return;
            }

            try
            {
                File.Move(from, to);
            }
            catch (IOException e)
            {
                hr = e.HResult;
            }
            finally
            {
                _security->RevertToSelf(); // control: remove
            }

            _hr = hr;
            _sync->Signal();
        }

        public void Finish_Rename() => Marshal.ThrowExceptionForHR(_hr);

        // The struct itself, by reference.
        public void Begin_Copy(ref IServerSecurity security, string from, string to)
        {
            int hr = security.ImpersonateClient();
            if (hr >= 0)
            {
                try
                {
                    File.Copy(from, to);
                }
                finally
                {
                    security.RevertToSelf(); // control: remove
                }
            }

            _hr = hr;
            _sync->Signal();
        }

        public void Finish_Copy() => Marshal.ThrowExceptionForHR(_hr);
    }
}
