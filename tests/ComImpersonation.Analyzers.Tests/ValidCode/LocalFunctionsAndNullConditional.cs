// Completion through a local function and a lambda that are created early but only called after the revert,
// and `?.` on the synchronisation object (it is null when the object is called synchronously).
// positive-control: COMIMP002, COMIMP007
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.LocalFunctionsAndNullConditional
{
    [ComImport]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface IServerSecurity
    {
        void QueryBlanket(out uint authnSvc, out uint authzSvc, out IntPtr serverPrincName, out uint authnLevel, out uint impLevel, out IntPtr privs, ref uint capabilities);

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

    internal sealed class JournalCallObject
    {
        private readonly IServerSecurity _security;
        private readonly ISynchronize _sync;
        private readonly List<string> _entries = new List<string>();
        private int _hr;

        /// <param name="security">The call context, obtained by the dispatcher on this call's thread.</param>
        /// <param name="sync">Null when the call is synchronous.</param>
        internal JournalCallObject(IServerSecurity security, ISynchronize sync)
        {
            _security = security;
            _sync = sync;
        }

        public void Begin_Append(string path, string entry)
        {
            void Complete(int hr)
            {
                _hr = hr;
                _sync?.Signal();
            }

            int hr = _security.ImpersonateClient();
            if (hr < 0)
            {
                Complete(hr);
                return;
            }

            try
            {
                File.AppendAllText(path, entry + Environment.NewLine);
                _entries.Add(entry);
            }
            catch (IOException e)
            {
                hr = e.HResult;
            }
            finally
            {
                _security.RevertToSelf(); // control: remove
            }

            Complete(hr);
        }

        public void Finish_Append() => Marshal.ThrowExceptionForHR(_hr);

        public void Begin_Replay(string path)
        {
            Action complete = () => _sync?.Signal();
            Func<string, bool> keep = line => line.Length > 0;

            int hr = _security.ImpersonateClient();
            if (hr >= 0)
            {
                try
                {
                    foreach (string line in File.ReadLines(path))
                    {
                        if (keep(line))
                        {
                            _entries.Add(line);
                        }
                    }
                }
                finally
                {
                    _security.RevertToSelf(); // control: remove
                }
            }

            _hr = hr;
            complete();
        }

        public string[] Finish_Replay()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _entries.ToArray();
        }

        // A lambda and a local function that impersonate and revert, each invoked on this thread before Signal.
        public void Begin_Count(string path)
        {
            Func<string, int> countAsClient = file =>
            {
                int hr = _security.ImpersonateClient();
                if (hr < 0)
                {
                    return hr;
                }

                try
                {
                    return File.ReadAllLines(file).Length;
                }
                finally
                {
                    _security.RevertToSelf(); // control: remove
                }
            };

            bool ExistsAsClient(string file)
            {
                if (_security.ImpersonateClient() < 0)
                {
                    return false;
                }

                try
                {
                    return File.Exists(file);
                }
                finally
                {
                    _security.RevertToSelf(); // control: remove
                }
            }

            _hr = ExistsAsClient(path) ? countAsClient(path) : unchecked((int)0x80070002);
            _sync?.Signal();
        }

        public int Finish_Count() => _hr;

        // A conditional access on the security object itself.
        public void Begin_Clear(IServerSecurity security)
        {
            int? hr = security?.ImpersonateClient();
            if (hr is null || hr < 0)
            {
                _hr = hr ?? unchecked((int)0x80070005);
                _sync?.Signal();
                return;
            }

            try
            {
                _entries.Clear();
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _sync?.Signal();
        }

        public void Finish_Clear()
        {
        }
    }
}
