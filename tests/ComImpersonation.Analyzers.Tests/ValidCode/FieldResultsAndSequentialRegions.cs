// The HRESULT kept in a field and tested there; a user-written static ThrowIfFailed; two impersonated regions in
// a row before Signal; a C-style `goto Done` cleanup; a loop that signals and leaves; a catch that wraps and throws.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.FieldResultsAndSequentialRegions
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

    [ComImport]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface IThrowingServerSecurity
    {
        void QueryBlanket(out uint authnSvc, out uint authzSvc, IntPtr serverPrincName, out uint authnLevel, out uint impLevel, IntPtr privs, IntPtr capabilities);

        void ImpersonateClient();

        void RevertToSelf();
    }

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("ole32.dll")]
        internal static extern int CoRevertToSelf();
    }

    internal static class ErrorHelpers
    {
        public static void ThrowIfFailed(int hr)
        {
            if (hr < 0)
            {
                throw new COMException("The operation failed.", hr);
            }
        }
    }

    internal sealed class SyncCallObject
    {
        private readonly IServerSecurity _security;
        private readonly ISynchronize _sync;
        private int _hr;
        private string _source;
        private string _copy;

        public SyncCallObject(IServerSecurity security, ISynchronize sync)
        {
            _security = security;
            _sync = sync;
        }

        // The result lives in a field and is tested there.
        public void Begin_Read(string path)
        {
            _hr = _security.ImpersonateClient();
            if (_hr < 0)
            {
                _sync.Signal();
                return;
            }

            try
            {
                _source = File.ReadAllText(path);
            }
            finally
            {
                _security.RevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public string Finish_Read()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _source;
        }

        // Two regions in a row: read as the client, transform as the server, write as the client, then Signal.
        public void Begin_Sync(string from, string to)
        {
            ErrorHelpers.ThrowIfFailed(NativeMethods.CoImpersonateClient());
            try
            {
                _source = File.ReadAllText(from);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            _copy = _source.Replace("\r\n", "\n", StringComparison.Ordinal);

            int hr = NativeMethods.CoImpersonateClient();
            ErrorHelpers.ThrowIfFailed(hr);
            try
            {
                File.WriteAllText(to, _copy);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public string Finish_Sync() => _copy;

        // A C-style single exit: every failure jumps to Done, which signals.
        public void Begin_Append(string path, string line)
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                goto Done;
            }

            try
            {
                File.AppendAllText(path, line);
            }
            catch (IOException e)
            {
                hr = e.HResult;
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

        Done:
            _hr = hr;
            _sync.Signal();
        }

        public void Finish_Append() => Marshal.ThrowExceptionForHR(_hr);

        // The loop signals once, on its last iteration, and leaves at once.
        public void Begin_Batch(string[] paths)
        {
            if (paths.Length == 0)
            {
                _sync.Signal();
                return;
            }

            for (int i = 0; i < paths.Length; i++)
            {
                int hr = NativeMethods.CoImpersonateClient();
                if (hr < 0)
                {
                    _hr = hr;
                    _sync.Signal();
                    return;
                }

                try
                {
                    File.SetLastWriteTimeUtc(paths[i], DateTime.UtcNow);
                }
                finally
                {
                    NativeMethods.CoRevertToSelf(); // control: remove
                }

                if (i == paths.Length - 1)
                {
                    _sync.Signal();
                    break;
                }
            }
        }

        public void Finish_Batch() => Marshal.ThrowExceptionForHR(_hr);

        // A throwing projection whose exception is wrapped and thrown again: not swallowed.
        public void Begin_Open(IThrowingServerSecurity security, string path)
        {
            try
            {
                security.ImpersonateClient();
            }
            catch (COMException e)
            {
                throw new UnauthorizedAccessException("The client could not be impersonated.", e);
            }

            try
            {
                _source = File.ReadAllText(path);
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public string Finish_Open() => _source;
    }
}
