using System;
using System.IO;
using System.Runtime.InteropServices;
using AsyncComServer.Interop;

namespace AsyncComServer
{
    /// <summary>
    /// The first version of the call object, kept to show what the analyzer finds. Each Begin_ method has one
    /// impersonation bug; the line the warning is reported on is marked "expect: COMIMPnnn" just above it.
    /// <see cref="ReportCallObject"/> is the corrected version.
    /// </summary>
    public sealed class LegacyReportCallObject : AsyncIReportGenerator
    {
        private readonly ReportStore _store;
        private readonly ISynchronize _sync;
        private int _hr;
        private string? _report;

        internal LegacyReportCallObject(ReportStore store, ISynchronize sync)
        {
            _store = store;
            _sync = sync;
        }

        // Wrong: "let the client go as soon as possible", then audit as the client. But "the server cannot
        // impersonate the client after its call to ISynchronize::Signal completes": CoImpersonateClient fails
        // with RPC_E_CALL_COMPLETE, and the audit record is never written (or, without the check, written as the server).
        public void Begin_Generate(string reportName)
        {
            _report = _store.Render(reportName);
            _hr = HResults.S_OK;
            _sync.Signal();

            // expect: COMIMP001
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                return;
            }

            try
            {
                _store.AppendAudit(reportName, "generated");
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }
        }

        public string Finish_Generate()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _report ?? string.Empty;
        }

        public void Begin_Export(string reportName, string destinationDirectory)
        {
            try
            {
                _hr = ExportAsClient(reportName, destinationDirectory);
            }
            finally
            {
                _sync.Signal();
            }
        }

        public void Finish_Export() => Marshal.ThrowExceptionForHR(_hr);

        // Wrong: the early return for a missing directory skips the revert (the normal path does revert).
        // The token "is not removed from the thread until the server calls RevertToSelf, or until Begin_
        // returns": Begin_Export's Signal, and whatever else runs on this thread, still runs as the client.
        private int ExportAsClient(string reportName, string destinationDirectory)
        {
            // expect: COMIMP002
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                return hr; // failed: not impersonating, so this path is fine
            }

            if (!Directory.Exists(destinationDirectory))
            {
                return HResults.E_PATHNOTFOUND; // still impersonating here
            }

            _store.WriteTo(reportName, destinationDirectory);
            Ole32.CoRevertToSelf();
            return HResults.S_OK;
        }

        // Wrong: Signal inside the impersonated region. The call is complete but the token stays "until the
        // server calls RevertToSelf, or until Begin_ returns": the clean-up after Signal runs as the client
        // on behalf of a call that has already finished.
        public void Begin_Publish(string reportName, string shareDirectory)
        {
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                _hr = hr; // failed: not impersonating, so signalling here is fine
                _sync.Signal();
                return;
            }

            try
            {
                _store.WriteTo(reportName, shareDirectory);
                _hr = HResults.S_OK;
                // expect: COMIMP003
                _sync.Signal();
                _store.DeleteOldCopies(reportName, shareDirectory);
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }
        }

        public void Finish_Publish() => Marshal.ThrowExceptionForHR(_hr);
    }
}
