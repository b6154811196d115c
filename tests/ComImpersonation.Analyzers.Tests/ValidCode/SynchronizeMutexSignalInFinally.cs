// ISynchronizeMutex (derived from ISynchronize). Begin_ signals in an outer finally, so the call completes
// whatever happens; the inner try/finally has already reverted by then.
// positive-control: COMIMP002, COMIMP007
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace ValidCode.SynchronizeMutexSignalInFinally
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
    [Guid("00000025-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface ISynchronizeMutex : ISynchronize
    {
        new void Wait(uint flags, uint milliseconds);

        new void Signal();

        new void Reset();

        void ReleaseMutex();
    }

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoGetCallContext(in Guid riid, [MarshalAs(UnmanagedType.Interface)] out IServerSecurity context);
    }

    internal sealed class Ledger
    {
        private readonly Dictionary<string, decimal> _balances = new Dictionary<string, decimal>(StringComparer.Ordinal);

        public void Transfer(string from, string to, decimal amount)
        {
            _balances[from] = _balances.TryGetValue(from, out decimal a) ? a - amount : -amount;
            _balances[to] = _balances.TryGetValue(to, out decimal b) ? b + amount : amount;
        }

        public decimal BalanceOf(string account) => _balances.TryGetValue(account, out decimal value) ? value : 0m;
    }

    public sealed class LedgerCallObject
    {
        private readonly Ledger _ledger = new Ledger();
        private readonly ISynchronizeMutex _mutex;
        private int _hr;
        private decimal _balance;

        internal LedgerCallObject(ISynchronizeMutex mutex)
        {
            _mutex = mutex;
        }

        public void Begin_Transfer(string from, string to, decimal amount)
        {
            try
            {
                int hr = NativeMethods.CoGetCallContext(typeof(IServerSecurity).GUID, out IServerSecurity security);
                if (hr < 0)
                {
                    _hr = hr;
                    return;
                }

                hr = security.ImpersonateClient();
                if (hr < 0)
                {
                    _hr = hr;
                    return;
                }

                try
                {
                    _ledger.Transfer(from, to, amount);
                    _hr = 0;
                }
                finally
                {
                    security.RevertToSelf(); // control: remove
                }
            }
            finally
            {
                _mutex.Signal();
            }
        }

        public void Finish_Transfer() => Marshal.ThrowExceptionForHR(_hr);

        // Through the base interface as well: the same object seen as ISynchronize.
        public void Begin_Balance(string account)
        {
            ISynchronize sync = _mutex;
            try
            {
                if (NativeMethods.CoGetCallContext(typeof(IServerSecurity).GUID, out IServerSecurity security) >= 0)
                {
                    int hr = security.ImpersonateClient();
                    if (hr >= 0)
                    {
                        try
                        {
                            _balance = _ledger.BalanceOf(account);
                        }
                        finally
                        {
                            security.RevertToSelf(); // control: remove
                        }
                    }

                    _hr = hr;
                }
            }
            finally
            {
                sync.Signal();
            }
        }

        public decimal Finish_Balance()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _balance;
        }
    }
}
