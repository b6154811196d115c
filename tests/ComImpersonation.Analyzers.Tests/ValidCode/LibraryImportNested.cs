// [LibraryImport] declarations (renamed and not), with the implementing parts the source generator would emit at
// the bottom of the file. Relational patterns as checks, a lock around the impersonated region, and nested
// try/catch/finally with the revert in the inner finally.
// positive-control: COMIMP002, COMIMP007
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.LibraryImportNested
{
    [ComImport]
    [Guid("00000030-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface ISynchronize
    {
        void Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    internal static partial class ComSecurity
    {
        [LibraryImport("ole32", EntryPoint = "CoImpersonateClient")]
        internal static partial int ImpersonateClient();

        [LibraryImport("ole32", EntryPoint = "CoRevertToSelf")]
        internal static partial int RevertToSelf();
    }

    internal static partial class Ole32
    {
        [LibraryImport("ole32.dll", SetLastError = true)]
        internal static partial int CoImpersonateClient();

        [LibraryImport("ole32.dll", SetLastError = true)]
        internal static partial int CoRevertToSelf();
    }

    public sealed class SettingsCallObject
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, string> _cache = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly ISynchronize _sync;
        private int _hr;
        private string _value;

        internal SettingsCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        // lock around the impersonated region; the revert is in the finally inside the lock.
        public void Begin_Load(string path)
        {
            lock (_gate)
            {
                int hr = ComSecurity.ImpersonateClient();
                if (hr is < 0)
                {
                    _hr = hr;
                }
                else
                {
                    try
                    {
                        _value = File.ReadAllText(path);
                        _cache[path] = _value;
                    }
                    finally
                    {
                        ComSecurity.RevertToSelf(); // control: remove
                    }
                }
            }

            _sync.Signal();
        }

        public string Finish_Load()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _value;
        }

        // Nested try/catch/finally: the revert is in the inner finally, the outer handlers run as the server.
        public void Begin_Save(string path, string value)
        {
            try
            {
                int hr = Ole32.CoImpersonateClient();
                if (hr is >= 0)
                {
                    try
                    {
                        try
                        {
                            File.WriteAllText(path, value);
                        }
                        catch (IOException e)
                        {
                            _hr = e.HResult;
                        }
                    }
                    finally
                    {
                        Ole32.CoRevertToSelf(); // control: remove
                    }
                }
                else
                {
                    _hr = hr;
                }
            }
            catch (UnauthorizedAccessException e)
            {
                _hr = e.HResult;
            }
            finally
            {
                lock (_gate)
                {
                    _cache.Remove(path);
                }
            }

            _sync.Signal();
        }

        public void Finish_Save() => Marshal.ThrowExceptionForHR(_hr);
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the LibraryImport generator emits for the declarations above: a forwarder for the blittable
    // signatures, a stub with a local P/Invoke where SetLastError needs marshalling.
    // ---------------------------------------------------------------------------------------------------------
    internal static unsafe partial class ComSecurity
    {
        [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
        [global::System.Runtime.InteropServices.DllImportAttribute("ole32", EntryPoint = "CoImpersonateClient", ExactSpelling = true)]
        internal static extern partial int ImpersonateClient();

        [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
        [global::System.Runtime.InteropServices.DllImportAttribute("ole32", EntryPoint = "CoRevertToSelf", ExactSpelling = true)]
        internal static extern partial int RevertToSelf();
    }

    internal static unsafe partial class Ole32
    {
        [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
        [global::System.Runtime.CompilerServices.SkipLocalsInitAttribute]
        internal static partial int CoImpersonateClient()
        {
            int __lastError;
            int __retVal;
            {
                global::System.Runtime.InteropServices.Marshal.SetLastSystemError(0);
                __retVal = __PInvoke();
                __lastError = global::System.Runtime.InteropServices.Marshal.GetLastSystemError();
            }

            global::System.Runtime.InteropServices.Marshal.SetLastPInvokeError(__lastError);
            return __retVal;

            // Local P/Invoke
            [global::System.Runtime.InteropServices.DllImportAttribute("ole32.dll", EntryPoint = "CoImpersonateClient", ExactSpelling = true)]
            static extern unsafe int __PInvoke();
        }

        [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
        [global::System.Runtime.CompilerServices.SkipLocalsInitAttribute]
        internal static partial int CoRevertToSelf()
        {
            int __lastError;
            int __retVal;
            {
                global::System.Runtime.InteropServices.Marshal.SetLastSystemError(0);
                __retVal = __PInvoke();
                __lastError = global::System.Runtime.InteropServices.Marshal.GetLastSystemError();
            }

            global::System.Runtime.InteropServices.Marshal.SetLastPInvokeError(__lastError);
            return __retVal;

            // Local P/Invoke
            [global::System.Runtime.InteropServices.DllImportAttribute("ole32.dll", EntryPoint = "CoRevertToSelf", ExactSpelling = true)]
            static extern unsafe int __PInvoke();
        }
    }
}
