// A class that implements IServerSecurity: the managed call context an in-process host hands to the dispatcher
// when no COM call is in progress. Calling it through the class is not a COM impersonation; the dispatcher
// that sees it as IServerSecurity uses it correctly.
// positive-control: COMIMP002, COMIMP007
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace ValidCode.ManagedCallContext
{
    [ComImport]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface IServerSecurity
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
    public interface ISynchronize
    {
        void Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    /// <summary>In-process: the caller already is the server, so impersonating is a recorded no-op.</summary>
    public sealed class InProcessCallContext : IServerSecurity
    {
        private int _depth;

        public List<string> Log { get; } = new List<string>();

        public int QueryBlanket(out uint authnSvc, out uint authzSvc, IntPtr serverPrincName, out uint authnLevel, out uint impLevel, IntPtr privs, IntPtr capabilities)
        {
            authnSvc = authzSvc = authnLevel = 0;
            impLevel = 3; // RPC_C_IMP_LEVEL_IMPERSONATE
            return 0;
        }

        public int ImpersonateClient()
        {
            _depth++;
            Log.Add("impersonate");
            return 0;
        }

        public int RevertToSelf()
        {
            if (_depth > 0)
            {
                _depth--;
            }

            Log.Add("revert");
            return 0;
        }

        public bool IsImpersonating() => _depth > 0;

        /// <summary>Resets the context between in-process calls: calls through the class, not the COM API.</summary>
        public void Reset()
        {
            while (IsImpersonating())
            {
                RevertToSelf();
            }

            Log.Clear();
        }
    }

    /// <summary>In-process completion: a managed ISynchronize, called through the class.</summary>
    public sealed class InProcessCompletion : ISynchronize
    {
        private readonly System.Threading.ManualResetEventSlim _done = new System.Threading.ManualResetEventSlim();

        public void Wait(uint flags, uint milliseconds) => _done.Wait((int)milliseconds);

        public void Signal() => _done.Set();

        public void Reset() => _done.Reset();
    }

    public sealed class Dispatcher
    {
        private readonly Dictionary<string, string> _documents = new Dictionary<string, string>(StringComparer.Ordinal);

        // The contract every caller relies on: impersonate, check, revert in finally.
        public int Read(IServerSecurity security, string name, out string text)
        {
            text = null;
            int hr = security.ImpersonateClient();
            if (hr < 0)
            {
                return hr;
            }

            try
            {
                return _documents.TryGetValue(name, out text) ? 0 : unchecked((int)0x80070002);
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }
        }

        // The same contract with no result of its own: a failed impersonation is thrown to the dispatcher's caller.
        public void Remove(IServerSecurity security, string name)
        {
            Marshal.ThrowExceptionForHR(security.ImpersonateClient());
            try
            {
                _documents.Remove(name);
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }
        }

        public void Add(string name, string text) => _documents[name] = text;
    }

    public sealed class InProcessHost
    {
        private readonly Dispatcher _dispatcher = new Dispatcher();
        private readonly InProcessCallContext _context = new InProcessCallContext();
        private readonly InProcessCompletion _completion = new InProcessCompletion();

        public string ReadDocument(string name)
        {
            _context.Reset();
            int hr = _dispatcher.Read(_context, name, out string text);
            Marshal.ThrowExceptionForHR(hr);
            return text;
        }

        // Drives the managed context directly, in the order a test of the dispatcher wants: these are calls on
        // the class, not on the COM interface, so neither order nor results matter to COM.
        public bool SelfTest()
        {
            _completion.Signal();
            _context.ImpersonateClient();
            bool impersonating = _context.IsImpersonating();
            _context.RevertToSelf();
            _completion.Reset();
            return impersonating && !_context.IsImpersonating();
        }

        public void Begin_Ping()
        {
            _context.ImpersonateClient();
            _completion.Signal();
            _context.RevertToSelf();
        }

        public void Finish_Ping()
        {
            _context.ImpersonateClient();
            _context.RevertToSelf();
        }
    }
}
