// P/Invokes renamed with EntryPoint, from ole32, combase and the COM API set (uint results). Loops impersonate
// and revert once per iteration; Signal comes after the loop.
// positive-control: COMIMP002, COMIMP007
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.DllImportRenamedLoops
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

    internal static class ComSecurity
    {
        [DllImport("ole32", EntryPoint = "CoImpersonateClient", ExactSpelling = true)]
        internal static extern int ImpersonateCaller();

        [DllImport("ole32", EntryPoint = "CoRevertToSelf", ExactSpelling = true)]
        internal static extern int RevertToServer();
    }

    internal static class CoreCom
    {
        private const string ComApiSet = "api-ms-win-core-com-l1-1-0.dll";

        [DllImport(ComApiSet, EntryPoint = "CoImpersonateClient", ExactSpelling = true)]
        internal static extern uint Impersonate();

        [DllImport(ComApiSet, EntryPoint = "CoRevertToSelf", ExactSpelling = true)]
        internal static extern uint Revert();
    }

    internal static class Combase
    {
        [DllImport("combase.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("combase.dll")]
        internal static extern int CoRevertToSelf();
    }

    public sealed class ScanCallObject
    {
        private readonly ISynchronize _sync;
        private int _hr;
        private long[] _sizes;
        private int _failures;
        private readonly List<string> _processed = new List<string>();

        internal ScanCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        // for: break out of the loop when impersonation fails (nothing to revert then).
        public void Begin_Scan(string[] paths)
        {
            var sizes = new long[paths.Length];
            for (int i = 0; i < paths.Length; i++)
            {
                int hr = ComSecurity.ImpersonateCaller();
                if (hr < 0)
                {
                    _hr = hr;
                    break;
                }

                try
                {
                    sizes[i] = new FileInfo(paths[i]).Length;
                }
                catch (IOException)
                {
                    sizes[i] = -1;
                }
                finally
                {
                    ComSecurity.RevertToServer();
                }
            }

            _sizes = sizes;
            _sync.Signal();
        }

        public long[] Finish_Scan()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _sizes;
        }

        // foreach with the API set's uint HRESULT: `!= 0` is the failure test, `continue` skips the item.
        public void Begin_Touch(IEnumerable<string> paths)
        {
            int failures = 0;
            foreach (string path in paths)
            {
                if (CoreCom.Impersonate() != 0)
                {
                    failures++;
                    continue;
                }

                try
                {
                    if (!File.Exists(path))
                    {
                        failures++;
                        continue; // leaves through the finally, which reverts
                    }

                    File.SetLastAccessTimeUtc(path, DateTime.UtcNow);
                }
                finally
                {
                    CoreCom.Revert(); // control: remove
                }
            }

            _failures = failures;
            _sync.Signal();
        }

        public int Finish_Touch() => _failures;

        // while over a queue, combase, `== 0` as the success test.
        public void Begin_Drain(ConcurrentQueue<string> queue)
        {
            while (queue.TryDequeue(out string item))
            {
                int hr = Combase.CoImpersonateClient();
                if (hr == 0)
                {
                    try
                    {
                        File.Delete(item);
                        _processed.Add(item);
                    }
                    finally
                    {
                        Combase.CoRevertToSelf(); // control: remove
                    }
                }
                else
                {
                    _failures++;
                }
            }

            _sync.Signal();
        }

        public string[] Finish_Drain() => _processed.ToArray();

        // do/while with the revert in finally and the loop condition read as the server.
        public void Begin_Retry(string path, int attempts)
        {
            bool done = false;
            do
            {
                int hr = ComSecurity.ImpersonateCaller();
                if (hr < 0)
                {
                    _hr = hr;
                    break;
                }

                try
                {
                    File.AppendAllText(path, "x");
                    done = true;
                }
                catch (IOException e)
                {
                    _hr = e.HResult;
                }
                finally
                {
                    ComSecurity.RevertToServer();
                }
            }
            while (!done && --attempts > 0);

            _sync.Signal();
        }

        public void Finish_Retry() => Marshal.ThrowExceptionForHR(_hr);
    }
}
