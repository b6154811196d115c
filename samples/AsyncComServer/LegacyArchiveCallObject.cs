using System.Runtime.InteropServices;
using System.Threading.Tasks;
using AsyncComServer.Interop;

namespace AsyncComServer
{
    /// <summary>
    /// A second legacy call object, for archiving reports, with the remaining kinds of impersonation bug:
    /// unchecked results, impersonation in Finish_, impersonation off the call's thread, and a revert that an
    /// exception can skip. Each reported line is marked "expect: COMIMPnnn" just above it.
    /// <see cref="ReportCallObject"/> shows the correct shape: check, try/finally revert, then Signal.
    /// </summary>
    public sealed class LegacyArchiveCallObject
    {
        private readonly ReportStore _store;
        private readonly ISynchronize _sync;
        private int _hr;

        internal LegacyArchiveCallObject(ReportStore store, ISynchronize sync)
        {
            _store = store;
            _sync = sync;
        }

        // Wrong: the result is ignored. If impersonation fails (the client forbade it, or the call already
        // completed) the thread keeps the server's identity and the archive is written with the server's rights.
        public void Begin_Archive(string reportName, string archiveDirectory)
        {
            // expect: COMIMP004
            Ole32.CoImpersonateClient();
            try
            {
                _store.WriteTo(reportName, archiveDirectory);
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }

            _hr = HResults.S_OK;
            _sync.Signal();
        }

        // Wrong: Finish_ runs after Begin_ signalled, so the call context is gone: "the server cannot
        // impersonate the client after its call to ISynchronize::Signal completes". This always fails with
        // RPC_E_CALL_COMPLETE and the clean-up below never runs as the client.
        public void Finish_Archive()
        {
            // expect: COMIMP005
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                Marshal.ThrowExceptionForHR(_hr);
                return;
            }

            try
            {
                _store.AppendAudit("archive", "collected");
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }

            Marshal.ThrowExceptionForHR(_hr);
        }

        // Wrong: the copy runs on a thread-pool thread, which has no COM call context: CoImpersonateClient acts
        // on the context of the current thread only. Capture what the worker needs here, impersonate here.
        public void Begin_Mirror(string reportName, string mirrorDirectory)
        {
            Task.Run(() =>
            {
                // expect: COMIMP006
                int hr = Ole32.CoImpersonateClient();
                if (hr < 0)
                {
                    return;
                }

                try
                {
                    _store.WriteTo(reportName, mirrorDirectory);
                }
                finally
                {
                    Ole32.CoRevertToSelf();
                }
            });

            _hr = HResults.S_OK;
            _sync.Signal();
        }

        // Not quite right: the revert runs on every normal path, but if WriteTo throws, the exception skips it
        // and the thread goes on running as the client. Put the revert in a finally block.
        public void Begin_Compress(string reportName, string archiveDirectory)
        {
            // expect: COMIMP007
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            _store.WriteTo(reportName, archiveDirectory);
            Ole32.CoRevertToSelf();

            _hr = HResults.S_OK;
            _sync.Signal();
        }

        public void Finish_Mirror() => Marshal.ThrowExceptionForHR(_hr);

        public void Finish_Compress() => Marshal.ThrowExceptionForHR(_hr);
    }
}
