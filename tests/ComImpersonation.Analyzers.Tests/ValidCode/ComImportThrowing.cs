// Throwing [ComImport] projections (no PreserveSig): a failed ImpersonateClient throws a COMException, which is
// the check. Catches around the impersonation leave the method; the revert is in a finally; Signal comes last.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.ComImportThrowing
{
    [ComImport]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface IServerSecurity
    {
        void QueryBlanket(out uint authnSvc, out uint authzSvc, out IntPtr serverPrincName, out uint authnLevel, out uint impLevel, out IntPtr privs, ref uint capabilities);

        void ImpersonateClient();

        void RevertToSelf();

        [PreserveSig]
        [return: MarshalAs(UnmanagedType.Bool)]
        bool IsImpersonating();
    }

    [ComImport]
    [Guid("00000030-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface ISynchronize
    {
        void Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    internal static class Ole32
    {
        // PreserveSig = false: a failed HRESULT is thrown, the last out-parameter becomes the return value.
        [DllImport("ole32.dll", PreserveSig = false)]
        [return: MarshalAs(UnmanagedType.Interface)]
        internal static extern IServerSecurity CoGetCallContext(in Guid riid);
    }

    public sealed class ArchiveCallObject
    {
        private const int RPC_E_CALL_COMPLETE = unchecked((int)0x80010117);

        private static readonly Guid IID_IServerSecurity = new Guid("0000013E-0000-0000-C000-000000000046");

        private readonly ISynchronize _sync;
        private int _hr;
        private string[] _entries;

        public ArchiveCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        // The impersonation's exception is caught, and the catch completes the call and leaves.
        public void Begin_Archive(string source, string destination)
        {
            IServerSecurity security;
            try
            {
                security = Ole32.CoGetCallContext(IID_IServerSecurity);
                security.ImpersonateClient();
            }
            catch (COMException e)
            {
                _hr = e.HResult;
                _sync.Signal();
                return;
            }

            try
            {
                File.Copy(source, destination, overwrite: true);
            }
            catch (IOException e)
            {
                _hr = e.HResult;
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public void Finish_Archive() => Marshal.ThrowExceptionForHR(_hr);

        // The impersonation's exception propagates out of Begin_: COM returns it to the client.
        public void Begin_List(string directory)
        {
            IServerSecurity security = Ole32.CoGetCallContext(IID_IServerSecurity);
            security.ImpersonateClient();
            try
            {
                _entries = Directory.GetFiles(directory);
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public string[] Finish_List() => _entries ?? Array.Empty<string>();

        // A catch that rethrows after recording the failure does not swallow it.
        public void Begin_Touch(string path)
        {
            IServerSecurity security = Ole32.CoGetCallContext(IID_IServerSecurity);
            try
            {
                security.ImpersonateClient();
            }
            catch (COMException e)
            {
                _hr = e.HResult;
                throw;
            }

            try
            {
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        // A filtered catch: the expected failure completes the call and leaves, any other propagates.
        public void Begin_Stat(string path)
        {
            IServerSecurity security = Ole32.CoGetCallContext(IID_IServerSecurity);
            try
            {
                security.ImpersonateClient();
            }
            catch (COMException e) when (e.HResult == RPC_E_CALL_COMPLETE)
            {
                _hr = e.HResult;
                _sync.Signal();
                return;
            }

            try
            {
                _entries = new[] { new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        public string Finish_Stat() => _entries[0];

        public void Finish_Touch()
        {
            Marshal.ThrowExceptionForHR(_hr);
        }
    }
}
