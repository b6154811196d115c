// The revert sits in a finally but is guarded: by a flag set once impersonation succeeded (the pattern of the
// .NET reference source: `bool revert = false; try { ...; revert = true; ... } finally { if (revert) ... }`),
// by the impersonation's own HRESULT, or by IServerSecurity.IsImpersonating. Every path that impersonated
// reverts; Signal comes after.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.ConditionalRevertInFinally
{
    [ComImport]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface IServerSecurity
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

    [ComImport]
    [Guid("00000030-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface ISynchronize
    {
        void Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("ole32.dll")]
        internal static extern int CoRevertToSelf();
    }

    internal sealed class QuotaCallObject
    {
        private readonly IServerSecurity _security;
        private readonly ISynchronize _sync;
        private int _hr;
        private long _used;

        public QuotaCallObject(IServerSecurity security, ISynchronize sync)
        {
            _security = security;
            _sync = sync;
        }

        // A flag records that impersonation succeeded; the finally reverts only then.
        public void Begin_Measure(string directory)
        {
            bool impersonated = false;
            try
            {
                int hr = NativeMethods.CoImpersonateClient();
                if (hr < 0)
                {
                    _hr = hr;
                    return;
                }

                impersonated = true;
                long used = 0;
                foreach (string file in Directory.EnumerateFiles(directory))
                {
                    used += new FileInfo(file).Length;
                }

                _used = used;
            }
            finally
            {
                if (impersonated)
                {
                    NativeMethods.CoRevertToSelf(); // control: remove
                }
            }

            _sync.Signal();
        }

        public long Finish_Measure()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _used;
        }

        // The finally tests the impersonation's own result.
        public void Begin_Trim(string path, long length)
        {
            int hr = _security.ImpersonateClient();
            try
            {
                if (hr >= 0)
                {
                    using (FileStream stream = File.OpenWrite(path))
                    {
                        stream.SetLength(length);
                    }
                }
            }
            finally
            {
                if (hr >= 0)
                {
                    _security.RevertToSelf(); // control: remove
                }
            }

            _hr = hr;
            _sync.Signal();
        }

        public void Finish_Trim() => Marshal.ThrowExceptionForHR(_hr);

        // The finally asks the call context whether this thread is impersonating.
        public void Begin_Purge(string directory)
        {
            try
            {
                int hr = _security.ImpersonateClient();
                if (hr < 0)
                {
                    _hr = hr;
                }
                else
                {
                    foreach (string file in Directory.GetFiles(directory, "*.tmp"))
                    {
                        File.Delete(file);
                    }
                }
            }
            finally
            {
                if (_security.IsImpersonating())
                {
                    _security.RevertToSelf(); // control: remove
                }
            }

            _sync.Signal();
        }

        public void Finish_Purge() => Marshal.ThrowExceptionForHR(_hr);
    }
}
