// The client's data is captured on the call's own thread, as the client, and reverted before any hand-off.
// The work that follows runs as the server on the thread pool (Task.Run, ThreadPool) or after an await, and
// signals the call from there.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Principal;
using System.Threading;
using System.Threading.Tasks;

namespace ValidCode.AsyncHandOff
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

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("ole32.dll")]
        internal static extern int CoRevertToSelf();
    }

    internal interface IUpstream
    {
        Task PushAsync(string owner, byte[] content, CancellationToken cancellationToken);
    }

    internal sealed class CompressionCallObject
    {
        private readonly ISynchronize _sync;
        private readonly IUpstream _upstream;
        private int _hr;
        private byte[] _output;
        private string _owner;
        private Task _pending;

        public CompressionCallObject(ISynchronize sync, IUpstream upstream)
        {
            _sync = sync;
            _upstream = upstream;
        }

        // Capture as the client, revert, then compress on the thread pool without impersonation.
        public void Begin_Compress(string path)
        {
            byte[] input;
            string owner;
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                input = File.ReadAllBytes(path);
                owner = WindowsIdentity.GetCurrent(TokenAccessLevels.Query).Name;
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            _pending = Task.Run(() =>
            {
                try
                {
                    _output = Compress(input);
                    _owner = owner;
                }
                catch (IOException e)
                {
                    _hr = e.HResult;
                }
                finally
                {
                    _sync.Signal();
                }
            });
        }

        public byte[] Finish_Compress()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _output;
        }

        // ThreadPool with a method group that does not impersonate.
        public void Begin_Checksum(string path)
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            byte[] input;
            try
            {
                input = File.ReadAllBytes(path);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            ThreadPool.QueueUserWorkItem(ComputeChecksum, input, preferLocal: false);
        }

        public string Finish_Checksum() => _owner;

        private void ComputeChecksum(byte[] input)
        {
            int sum = 0;
            foreach (byte b in input)
            {
                sum = unchecked((sum * 31) + b);
            }

            _owner = sum.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
            _sync.Signal();
        }

        // An async method runs synchronously up to its first await, on the call's thread: it impersonates and
        // reverts there, and only then awaits. Signal after the await is fine: no impersonation follows it.
        public void Begin_Upload(string path)
        {
            _pending = UploadAsync(path, CancellationToken.None);
        }

        public void Finish_Upload()
        {
            Marshal.ThrowExceptionForHR(_hr);
        }

        private async Task UploadAsync(string path, CancellationToken cancellationToken)
        {
            byte[] content;
            string owner;
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                content = File.ReadAllBytes(path);
                owner = WindowsIdentity.GetCurrent(TokenAccessLevels.Query).Name;
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            try
            {
                await _upstream.PushAsync(owner, content, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                _hr = e.HResult;
            }
            finally
            {
                _sync.Signal();
            }
        }

        // An async method whose cached path awaits and returns; the path that impersonates has not awaited.
        public void Begin_Fetch(string path, bool cached)
        {
            _pending = FetchAsync(path, cached);
        }

        public byte[] Finish_Fetch() => _output;

        private async Task FetchAsync(string path, bool cached)
        {
            if (cached && _output != null)
            {
                await _upstream.PushAsync(_owner, _output, CancellationToken.None).ConfigureAwait(false);
                _sync.Signal();
                return;
            }

            int hr = NativeMethods.CoImpersonateClient();
            if (hr >= 0)
            {
                try
                {
                    _output = File.ReadAllBytes(path);
                }
                finally
                {
                    NativeMethods.CoRevertToSelf(); // control: remove
                }
            }

            _hr = hr;
            await Task.Yield();
            _sync.Signal();
        }

        // An async Task<T> whose impersonated region is a synchronous helper called before the first await.
        private async Task<int> CountLinesAsync(string path)
        {
            string text = ReadAsClient(path);
            await Task.Yield();
            return text is null ? 0 : text.Split('\n').Length;
        }

        public void Begin_CountLines(string path)
        {
            Task<int> count = CountLinesAsync(path);
            _pending = count.ContinueWith(t =>
            {
                _hr = t.IsFaulted ? t.Exception.InnerException.HResult : 0;
                _sync.Signal();
            }, TaskScheduler.Default);
        }

        public void Finish_CountLines()
        {
        }

        private static string ReadAsClient(string path)
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                return null;
            }

            try
            {
                return File.ReadAllText(path);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }
        }

        private static byte[] Compress(byte[] input)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
            {
                gzip.Write(input, 0, input.Length);
            }

            return output.ToArray();
        }
    }
}
