// [GeneratedComInterface] partial interfaces (source-generated COM, .NET 8+), with StrategyBasedComWrappers
// turning the call context pointer into a managed object. Helpers that impersonate and revert run before Signal.
// positive-control: COMIMP002, COMIMP007
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace ValidCode.GeneratedComInterfaces
{
    [GeneratedComInterface]
    [Guid("0000013E-0000-0000-C000-000000000046")]
    internal partial interface IServerSecurity
    {
        [PreserveSig]
        int QueryBlanket(out uint pAuthnSvc, out uint pAuthzSvc, out IntPtr pServerPrincName, out uint pAuthnLevel, out uint pImpLevel, out IntPtr pPrivs, ref uint pCapabilities);

        [PreserveSig]
        int ImpersonateClient();

        [PreserveSig]
        int RevertToSelf();

        [PreserveSig]
        int IsImpersonating();
    }

    [GeneratedComInterface]
    [Guid("00000030-0000-0000-C000-000000000046")]
    internal partial interface ISynchronize
    {
        [PreserveSig]
        int Wait(uint dwFlags, uint dwMilliseconds);

        [PreserveSig]
        int Signal();

        [PreserveSig]
        int Reset();
    }

    internal static partial class Ole32
    {
        [DllImport("ole32.dll")]
        internal static extern unsafe int CoGetCallContext(Guid* riid, IntPtr* ppInterface);
    }

    internal sealed class KeyValueStore
    {
        private readonly Dictionary<string, byte[]> _values = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        public byte[] Load(string key) => _values.TryGetValue(key, out byte[] value) ? value : null;

        public void Store(string key, byte[] value) => _values[key] = value;
    }

    internal sealed class StoreCallObject
    {
        private static readonly StrategyBasedComWrappers ComWrappers = new StrategyBasedComWrappers();

        private readonly KeyValueStore _store;
        private readonly ISynchronize _sync;
        private int _hr;
        private byte[] _value;

        public StoreCallObject(KeyValueStore store, ISynchronize sync)
        {
            _store = store;
            _sync = sync;
        }

        private static unsafe int GetCallContext(out IServerSecurity security)
        {
            Guid iid = typeof(IServerSecurity).GUID;
            IntPtr pointer;
            int hr = Ole32.CoGetCallContext(&iid, &pointer);
            if (hr < 0)
            {
                security = null;
                return hr;
            }

            try
            {
                security = (IServerSecurity)ComWrappers.GetOrCreateObjectForComInstance(pointer, CreateObjectFlags.None);
                return 0;
            }
            finally
            {
                Marshal.Release(pointer);
            }
        }

        // A client-identity helper: impersonates, returns the failure, reverts in finally.
        private int LoadAsClient(IServerSecurity security, string key, out byte[] value)
        {
            value = null;
            int hr = security.ImpersonateClient();
            if (hr < 0)
            {
                return hr;
            }

            try
            {
                value = _store.Load(key);
                return 0;
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }
        }

        public void Begin_Get(string key)
        {
            int hr = GetCallContext(out IServerSecurity security);
            if (hr >= 0)
            {
                hr = LoadAsClient(security, key, out _value);
            }

            _hr = hr;
            _sync.Signal();
        }

        public byte[] Finish_Get()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _value;
        }

        public void Begin_Set(string key, byte[] value)
        {
            int hr = GetCallContext(out IServerSecurity security);
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
                _store.Store(key, value);
            }
            finally
            {
                security.RevertToSelf(); // control: remove
            }

            _hr = 0;
            _sync.Signal();
        }

        public int Finish_Set() => _hr;
    }
}
