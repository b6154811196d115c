// Hand-written [ComImport] interfaces with PreserveSig HRESULTs. The call context is fetched with
// CoGetCallContext on the dispatching thread; impersonation is checked, reverted in finally, and Signal comes last.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.ComImportPreserveSig
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
        [PreserveSig]
        int Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoGetCallContext(in Guid riid, [MarshalAs(UnmanagedType.Interface)] out IServerSecurity context);
    }

    internal static class HResults
    {
        public const int S_OK = 0;
        public const int E_ACCESSDENIED = unchecked((int)0x80070005);
        public const int RPC_E_CALL_COMPLETE = unchecked((int)0x80010117);
    }

    internal interface AsyncIDocumentStore
    {
        void Begin_Read(string path);

        string Finish_Read();

        void Begin_Delete(string path);

        int Finish_Delete();

        void Begin_Stat(string path);

        void Begin_Rename(string from, string to);

        void Finish_Rename();

        long Finish_Stat(out int hr);
    }

    public sealed class DocumentCallObject : AsyncIDocumentStore
    {
        private static readonly Guid IID_IServerSecurity = typeof(IServerSecurity).GUID;

        private readonly ISynchronize _sync;
        private int _hr;
        private string _text;
        private long _length;

        internal DocumentCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        // Early returns on failure: a failed impersonation leaves nothing to revert.
        public void Begin_Read(string path)
        {
            int hr = NativeMethods.CoGetCallContext(IID_IServerSecurity, out IServerSecurity security);
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            hr = security.ImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                _text = File.ReadAllText(path);
            }
            catch (IOException e)
            {
                hr = e.HResult;
            }
            catch (UnauthorizedAccessException e)
            {
                hr = e.HResult;
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _hr = hr;
            _sync.Signal();
        }

        public string Finish_Read()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _text;
        }

        // The check written inline: `if (ImpersonateClient() >= 0) { try { ... } finally { revert } }`.
        public void Begin_Delete(string path)
        {
            int hr = NativeMethods.CoGetCallContext(IID_IServerSecurity, out IServerSecurity security);
            if (hr >= 0)
            {
                if (security.ImpersonateClient() >= 0)
                {
                    try
                    {
                        File.Delete(path);
                        hr = HResults.S_OK;
                    }
                    catch (IOException e)
                    {
                        hr = e.HResult;
                    }
                    finally
                    {
                        security.RevertToSelf(); // control: remove
                    }
                }
                else
                {
                    hr = HResults.E_ACCESSDENIED;
                }
            }

            _hr = hr;
            _sync.Signal();
        }

        public int Finish_Delete() => _hr;

        // `!= 0` and `== S_OK` comparisons, and a result kept in a local that is read later.
        public void Begin_Stat(string path)
        {
            if (NativeMethods.CoGetCallContext(IID_IServerSecurity, out IServerSecurity security) != HResults.S_OK)
            {
                _hr = HResults.E_ACCESSDENIED;
                _sync.Signal();
                return;
            }

            int impersonation = security.ImpersonateClient();
            if (impersonation == HResults.S_OK)
            {
                try
                {
                    _length = new FileInfo(path).Length;
                }
                finally
                {
                    security.RevertToSelf(); // control: remove
                }
            }

            _hr = impersonation;
            _sync.Signal();
        }

        // A switch over the HRESULT: only the S_OK case impersonates; the other cases explain the failure.
        public void Begin_Rename(string from, string to)
        {
            int hr = NativeMethods.CoGetCallContext(IID_IServerSecurity, out IServerSecurity security);
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            hr = security.ImpersonateClient();
            switch (hr)
            {
                case HResults.S_OK:
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
                        security.RevertToSelf(); // control: remove
                    }

                    break;

                case HResults.RPC_E_CALL_COMPLETE:
                    hr = HResults.E_ACCESSDENIED; // the call context is gone: never act as the server instead
                    break;

                default:
                    break;
            }

            _hr = hr;
            _sync.Signal();
        }

        public void Finish_Rename() => Marshal.ThrowExceptionForHR(_hr);

        public long Finish_Stat(out int hr)
        {
            hr = _hr;
            return _length;
        }
    }
}
