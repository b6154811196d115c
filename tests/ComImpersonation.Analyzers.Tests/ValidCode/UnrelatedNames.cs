// Types with methods named Signal, ImpersonateClient and RevertToSelf that have nothing to do with COM: a
// countdown signal, a named-pipe server's impersonation (advapi32, not ole32), a job scheduler with Begin_/Finish_
// steps. None is ISynchronize or IServerSecurity, and no P/Invoke here has a COM entry point.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Threading;

namespace ValidCode.UnrelatedNames
{
    /// <summary>A completion latch: Signal releases one count.</summary>
    public sealed class Latch
    {
        private readonly CountdownEvent _countdown;

        public Latch(int count) => _countdown = new CountdownEvent(count);

        public void Signal() => _countdown.Signal();

        public bool Wait(TimeSpan timeout) => _countdown.Wait(timeout);
    }

    /// <summary>An interface of this program, with its own GUID.</summary>
    [Guid("5B0C4A4E-8D0B-4F7A-9E55-3C1E8A0D2F11")]
    public interface IWorkItem
    {
        void Signal();

        int ImpersonateClient();

        int RevertToSelf();
    }

    internal static class Advapi32
    {
        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool ImpersonateNamedPipeClient(IntPtr hNamedPipe);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool RevertToSelf();
    }

    /// <summary>Impersonates a named-pipe client with the Win32 API: not a COM call context.</summary>
    public sealed class PipeImpersonator
    {
        private readonly NamedPipeServerStream _pipe;

        public PipeImpersonator(NamedPipeServerStream pipe) => _pipe = pipe;

        public int ImpersonateClient()
        {
            return Advapi32.ImpersonateNamedPipeClient(_pipe.SafePipeHandle.DangerousGetHandle()) ? 0 : Marshal.GetHRForLastWin32Error();
        }

        public int RevertToSelf() => Advapi32.RevertToSelf() ? 0 : Marshal.GetHRForLastWin32Error();

        public string ClientName() => _pipe.GetImpersonationUserName();
    }

    /// <summary>A batch job whose steps are named like asynchronous COM methods but are not COM at all.</summary>
    public sealed class BatchJob
    {
        private readonly Latch _latch = new Latch(1);
        private readonly PipeImpersonator _impersonator;
        private readonly IWorkItem _item;
        private string _client;

        public BatchJob(PipeImpersonator impersonator, IWorkItem item)
        {
            _impersonator = impersonator;
            _item = item;
        }

        public void Begin_Run()
        {
            _latch.Signal();
            _item.Signal();
            if (_impersonator.ImpersonateClient() == 0)
            {
                try
                {
                    _client = _impersonator.ClientName();
                }
                finally
                {
                    _impersonator.RevertToSelf(); // control: remove
                }
            }
        }

        public string Finish_Run()
        {
            _item.ImpersonateClient();
            _item.RevertToSelf();
            _latch.Wait(TimeSpan.FromSeconds(1));
            return _client;
        }

        // The Win32 pipe impersonation used directly, after a signal of the latch.
        public void Serve(NamedPipeServerStream pipe)
        {
            _latch.Signal();
            if (!Advapi32.ImpersonateNamedPipeClient(pipe.SafePipeHandle.DangerousGetHandle()))
            {
                return;
            }

            try
            {
                _client = pipe.GetImpersonationUserName();
            }
            finally
            {
                Advapi32.RevertToSelf(); // control: remove
            }
        }

        // NamedPipeServerStream.RunAsClient: the framework's own impersonation, run after a signal.
        public void ServeAsClient(NamedPipeServerStream pipe)
        {
            _item.Signal();
            pipe.RunAsClient(() => _client = pipe.GetImpersonationUserName());
        }
    }
}
